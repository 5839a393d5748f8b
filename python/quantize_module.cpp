// The Python module `quantize`: NumPy arrays in and out, read in place through the buffer
// protocol, the work done with the GIL released, errors raised as quantize.Error subclasses
// with the library's messages. A thin layer: every decision is the library's.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tbb/task_arena.h>

#include "quantize/batch.hpp"
#include "quantize/quantize.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace {

using quantize::Error;
using quantize::ErrorKind;

// ---- arrays <-> views ------------------------------------------------------------------------

// A held buffer and the view of its pixels; the buffer stays exported (and its memory alive)
// as long as this lives.
struct ArrayView {
    py::buffer_info buffer;
    quantize::ImageView view;
};

// `array` (H x W x 3 or 4, uint8) viewed where it is. Rows may be apart (a slice of a wider
// array); the samples of a row must follow each other (stride of a pixel = channels, of a
// sample = 1), else the caller is told to make a contiguous copy.
ArrayView view_of(const py::buffer& array, const char* name = "array") {
    ArrayView held{array.request(), {}};
    const py::buffer_info& b = held.buffer;
    const auto refuse = [&](const std::string& cause) {
        throw Error(ErrorKind::invalid_argument, name, cause);
    };
    if (b.ndim != 3)
        refuse("must be H x W x 3 or H x W x 4 (got " + std::to_string(b.ndim) + " dimensions)");
    if (b.itemsize != 1 || (b.format != "B" && b.format != "=B" && b.format != "<B"))
        refuse("must hold uint8 samples (got format '" + b.format + "')");
    const py::ssize_t channels = b.shape[2];
    if (channels != 3 && channels != 4)
        refuse("must have 3 (RGB) or 4 (RGBA) channels (got " + std::to_string(channels) + ")");
    if (b.strides[2] != 1 || b.strides[1] != channels) {
        refuse("pixels must lie side by side in each row (strides " + std::to_string(b.strides[0]) +
               ", " + std::to_string(b.strides[1]) + ", " + std::to_string(b.strides[2]) +
               "): pass numpy.ascontiguousarray(array)");
    }
    held.view =
        quantize::ImageView(static_cast<const std::uint8_t*>(b.ptr), int(b.shape[1]),
                            int(b.shape[0]), int(channels), b.shape[0] > 1 ? b.strides[0] : 0);
    return held;
}

// A NumPy array over memory that `owner` keeps alive (no copy).
template <class T>
py::array_t<std::uint8_t> array_over(std::vector<std::size_t> shape, std::uint8_t* data, T owner) {
    auto* kept = new T(std::move(owner));
    py::capsule free(kept, [](void* p) { delete static_cast<T*>(p); });
    return py::array_t<std::uint8_t>(std::move(shape), data, free);
}

py::array_t<std::uint8_t> palette_array(const quantize::Palette& palette, int channels) {
    py::array_t<std::uint8_t> out({palette.size(), std::size_t(channels)});
    auto a = out.mutable_unchecked<2>();
    for (std::size_t j = 0; j < palette.size(); ++j) {
        const quantize::Color c = palette[j].color;
        const std::uint8_t v[4] = {c.r, c.g, c.b, c.a};
        for (int k = 0; k < channels; ++k)
            a(py::ssize_t(j), k) = v[k];
    }
    return out;
}

// ---- options -----------------------------------------------------------------------------------

quantize::Color color_of(const py::handle& value) {
    if (py::isinstance<py::str>(value)) {
        const std::string text = value.cast<std::string>();
        if (const auto c = quantize::parse_hex_color(text))
            return *c;
        throw Error(ErrorKind::invalid_argument, "fixed", "'" + text + "' is not a hex color");
    }
    const auto v = value.cast<std::vector<int>>();
    if (v.size() < 3 || v.size() > 4)
        throw Error(ErrorKind::invalid_argument, "fixed", "a color has 3 or 4 values");
    const auto byte = [](int x) { return std::uint8_t(std::clamp(x, 0, 255)); };
    return {byte(v[0]), byte(v[1]), byte(v[2]), byte(v.size() == 4 ? v[3] : 255)};
}

// The keyword arguments the module takes, by the command's option names (dashes as
// underscores), each with what it sets; anything else is a TypeError, as Python gives for an
// unknown keyword. A new option is one row.
using Setter = void (*)(quantize::Options&, const py::handle&);
constexpr std::pair<std::string_view, Setter> kOptionSetters[] = {
    {"sample",
     [](auto& o, const py::handle& v) {
         o.clustering.sample = py::isinstance<py::str>(v) && v.cast<std::string>() == "auto"
                                   ? quantize::kAutoSample
                                   : v.cast<std::size_t>();
     }},
    {"seed", [](auto& o, const py::handle& v) { o.clustering.seed = v.cast<std::uint64_t>(); }},
    {"max_iter", [](auto& o, const py::handle& v) { o.clustering.max_iter = v.cast<int>(); }},
    {"tolerance", [](auto& o, const py::handle& v) { o.clustering.tolerance = v.cast<double>(); }},
    {"threads", [](auto& o, const py::handle& v) { o.running.threads = v.cast<int>(); }},
    {"restarts", [](auto& o, const py::handle& v) { o.clustering.restarts = v.cast<int>(); }},
    {"space",
     [](auto& o, const py::handle& v) {
         o.clustering.space = quantize::color_space_named(v.cast<std::string>());
     }},
    {"dither",
     [](auto& o, const py::handle& v) {
         o.mapping.dither =
             v.is_none() ? quantize::Dither::none : quantize::dither_named(v.cast<std::string>());
     }},
    {"dither_level",
     [](auto& o, const py::handle& v) { o.mapping.dither_level = v.cast<double>(); }},
    {"skip_if_larger",
     [](auto& o, const py::handle& v) { o.encoding.skip_if_larger = v.cast<bool>(); }},
    {"fixed",
     [](auto& o, const py::handle& v) {
         for (const py::handle c : v)
             o.clustering.fixed.push_back(color_of(c));
     }},
};

quantize::Options options_from(int k, const py::kwargs& kwargs) {
    quantize::Options o;
    o.clustering.colors = k;
    for (const auto& [key, value] : kwargs) {
        const std::string name = key.cast<std::string>();
        const auto* row = std::find_if(std::begin(kOptionSetters), std::end(kOptionSetters),
                                       [&](const auto& r) { return r.first == name; });
        if (row == std::end(kOptionSetters))
            throw py::type_error("unexpected keyword argument '" + name + "'");
        row->second(o, value);
    }
    return o;
}

// ---- results -----------------------------------------------------------------------------------

// What quantize() returns: the run (its indexed image viewed in place by `indices`), the
// channels of the input, and what the report needs. The report is measured on first use, from
// the input array the result holds, so callers that want only the pixels do not pay for it.
struct Result {
    quantize::Quantized run;
    int channels = 3;
    quantize::Options options;
    py::object source;        // the input array (None once the report is made)
    std::string report_json;  // empty until .report is first read
};

py::object json_loads(const std::string& text) {
    return py::module_::import("json").attr("loads")(text);
}

py::array_t<std::uint8_t> colors_of(const Result& r) {
    py::array_t<std::uint8_t> out(
        {std::size_t(r.run.image.height), std::size_t(r.run.image.width), std::size_t(r.channels)});
    std::uint8_t* p = out.mutable_data();
    const std::size_t n = r.run.image.indices.size();
    {
        py::gil_scoped_release unlocked;
        for (std::size_t i = 0; i < n; ++i) {
            const quantize::Color c = quantize::color_at(r.run.image, i);
            const std::uint8_t v[4] = {c.r, c.g, c.b, c.a};
            for (int k = 0; k < r.channels; ++k)
                *p++ = v[k];
        }
    }
    return out;
}

// ---- progress ----------------------------------------------------------------------------------

// A Python callable as the library's Progress: called with the stage's name ('decode', 'sample',
// 'cluster', 'remap', 'encode', 'measure', 'write') from the thread the work is on, the GIL taken
// for the call only. False stops the run (quantize.CancelledError); None or anything true goes
// on. An exception it raises stops the run too and is raised in place of CancelledError.
class PythonProgress {
  public:
    explicit PythonProgress(py::object callback) : callback_(std::move(callback)) {}

    // The Progress to hand the library: none for a callback of None.
    quantize::Progress progress() {
        if (callback_.is_none())
            return {};
        return [this](quantize::Stage stage) {
            const py::gil_scoped_acquire locked;
            try {
                const py::object said = callback_(quantize::stage_name(stage));
                return said.is_none() || PyObject_IsTrue(said.ptr()) != 0;
            } catch (py::error_already_set& e) {
                raised_ = std::move(e);
                return false;
            }
        };
    }

    // work() with the GIL released; the callback's own exception raised if it stopped the work.
    template <class Work>
    auto run(Work&& work) {
        try {
            const py::gil_scoped_release unlocked;
            return work(progress());
        } catch (const Error& e) {
            if (e.kind() == ErrorKind::cancelled && raised_)
                throw *raised_;
            throw;
        }
    }

  private:
    py::object callback_;
    std::optional<py::error_already_set> raised_;
};

// ---- errors ------------------------------------------------------------------------------------

// quantize.Error and one subclass per ErrorKind, made once at import.
struct ErrorTypes {
    py::object base, invalid_argument, input, too_large, output, cancelled, quality_too_low;

    const py::object& of(ErrorKind kind) const {
        switch (kind) {
            case ErrorKind::invalid_argument:
                return invalid_argument;
            case ErrorKind::input:
                return input;
            case ErrorKind::too_large:
                return too_large;
            case ErrorKind::output:
                return output;
            case ErrorKind::cancelled:
                return cancelled;
            case ErrorKind::quality_too_low:
                return quality_too_low;
        }
        return base;
    }
};

ErrorTypes* g_errors = nullptr;  // the module's own, alive as long as the module

py::object make_error_type(py::module_& m, const char* name, py::tuple bases, const char* doc) {
    py::dict body("__module__"_a = "quantize", "__doc__"_a = doc);
    py::object type =
        py::reinterpret_borrow<py::object>((PyObject*)&PyType_Type)(name, bases, body);
    m.attr(name) = type;
    return type;
}

void raise(const Error& e) {
    const py::object& type = g_errors->of(e.kind());
    py::object error = type(e.what());
    error.attr("subject") = e.subject();
    error.attr("cause") = e.cause();
    PyErr_SetObject(type.ptr(), error.ptr());
}

}  // namespace

PYBIND11_MODULE(quantize, m) {
    m.doc() =
        "Reduce images to K colors with k-means (k-means++ seeding, Lloyd iterations), in "
        "parallel.\n\n"
        "Arrays are H x W x 3 (RGB) or H x W x 4 (RGBA) uint8, read where they are (no copy).\n"
        "The work runs with the GIL released; errors raise quantize.Error subclasses.";
    m.attr("__version__") = quantize::version;

    static ErrorTypes errors;
    const py::object exception = py::module_::import("builtins").attr("Exception");
    const py::object value_error = py::module_::import("builtins").attr("ValueError");
    const py::object os_error = py::module_::import("builtins").attr("OSError");
    errors.base = make_error_type(m, "Error", py::make_tuple(exception),
                                  "Any failure quantize reports; str() is '<subject>: <cause>', "
                                  "also given as .subject and .cause.");
    errors.invalid_argument =
        make_error_type(m, "InvalidArgumentError", py::make_tuple(errors.base, value_error),
                        "An option or array out of range (also a ValueError).");
    errors.input = make_error_type(m, "InputError", py::make_tuple(errors.base, os_error),
                                   "An input file missing, unreadable, corrupt or not an image.");
    errors.too_large = make_error_type(m, "TooLargeError", py::make_tuple(errors.input),
                                       "An input larger than the decode limits allow.");
    errors.output = make_error_type(m, "OutputError", py::make_tuple(errors.base, os_error),
                                    "An output that cannot be written.");
    errors.cancelled =
        make_error_type(m, "CancelledError", py::make_tuple(errors.base), "The run was stopped.");
    errors.quality_too_low =
        make_error_type(m, "QualityTooLowError", py::make_tuple(errors.base),
                        "Even the most colors allowed stay below the quality asked for.");
    g_errors = &errors;
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p)
                std::rethrow_exception(p);
        } catch (const Error& e) {
            raise(e);
        }
    });

    py::class_<Result>(m, "Result", "What quantize() returns: indices, palette, image and report.")
        .def_property_readonly(
            "indices",
            [](py::object self) {
                Result& r = self.cast<Result&>();
                // A view of the result's own indices; the array keeps the result alive.
                return py::array_t<std::uint8_t>(
                    {std::size_t(r.run.image.height), std::size_t(r.run.image.width)},
                    r.run.image.indices.data(), self);
            },
            "H x W uint8: each pixel's palette index (a view; no copy).")
        .def_property_readonly(
            "palette",
            [](const Result& r) { return palette_array(r.run.image.palette, r.channels); },
            "K x 3 (or K x 4 with alpha) uint8: the colors, most used first.")
        .def_property_readonly(
            "counts",
            [](const Result& r) {
                std::vector<std::uint64_t> counts;
                for (const auto& e : r.run.image.palette)
                    counts.push_back(e.count);
                return counts;
            },
            "Pixels mapped to each palette color.")
        .def_property_readonly("image", &colors_of,
                               "H x W x C uint8: every pixel replaced by its palette color.")
        .def_property_readonly(
            "report",
            [](Result& r) {
                if (r.report_json.empty()) {
                    const ArrayView in = view_of(r.source);
                    {
                        py::gil_scoped_release unlocked;
                        r.report_json =
                            quantize::format_json(quantize::report_of(in.view, r.run, r.options));
                    }
                    r.source = py::none();
                }
                return json_loads(r.report_json);
            },
            "The report as a dict, with the fields of the command's --json; measured against "
            "the input array when first read (so do not change the array before).")
        .def("__repr__", [](const Result& r) {
            return "<quantize.Result " + std::to_string(r.run.image.width) + "x" +
                   std::to_string(r.run.image.height) + ", " +
                   std::to_string(r.run.image.palette.size()) + " colors>";
        });

    m.def(
        "quantize",
        [](const py::buffer& array, int k, const py::object& progress, const py::kwargs& kwargs) {
            const quantize::Options options = options_from(k, kwargs);
            const ArrayView in = view_of(array);
            Result r;
            r.channels = in.view.channels();
            r.options = options;
            r.source = array;
            r.run = PythonProgress(progress).run([&](const quantize::Progress& p) {
                return quantize::quantize(in.view, options, p);
            });
            return r;
        },
        py::arg("array"), py::arg("k") = 16, py::kw_only(), py::arg("progress") = py::none(),
        R"(Reduce an image to at most k colors.

array: H x W x 3 (RGB) or H x W x 4 (RGBA) uint8, read in place through the buffer protocol
    (rows may be strided, e.g. a slice; pixels within a row must be packed).
k: colors, 1..256.
Keyword options, as the command's: sample, seed, max_iter, tolerance, threads, restarts,
    space ('wrgb', 'rgb', 'lab', 'oklab'), dither ('none', 'fs'), dither_level, fixed (hex strings
    or (r, g, b[, a]) tuples).
progress: None, or a callable called with the stage's name ('sample', 'cluster', 'remap') before
    each stage and again inside its loops (every k-means++ pick and Lloyd update, every 64 Ki
    pixels sampled or mapped), from a worker thread, holding the GIL only for the call; return
    False (or raise) to stop: quantize.CancelledError (or what it raised).
Returns a Result: .indices (H x W), .palette (K x C), .image (H x W x C), .report (dict).
The same array, options and seed give the same result whatever `threads`.)");

    m.def(
        "palette",
        [](const py::iterable& arrays, int k, const py::kwargs& kwargs) {
            const quantize::Options options = options_from(k, kwargs);
            std::vector<ArrayView> held;
            for (const py::handle a : arrays)
                held.push_back(view_of(py::reinterpret_borrow<py::buffer>(a), "arrays"));
            std::vector<quantize::ImageView> views;
            int channels = 3;
            for (const ArrayView& h : held) {
                views.push_back(h.view);
                channels = std::max(channels, h.view.channels());
            }
            quantize::Palette palette;
            {
                py::gil_scoped_release unlocked;
                palette =
                    quantize::extract_palette(std::span<const quantize::ImageView>(views), options);
            }
            return palette_array(palette, channels);
        },
        py::arg("arrays"), py::arg("k") = 16,
        R"(The dominant colors of one or more images taken together (k-means on their samples,
no remap), most common first: K x 3, or K x 4 when any image has alpha. Options as
quantize().)");

    m.def(
        "read",
        [](const std::filesystem::path& path, int threads, const py::object& progress) {
            quantize::Image image = PythonProgress(progress).run([&](const quantize::Progress& p) {
                return quantize::read_image(path, {}, threads, p);
            });
            const std::vector<std::size_t> shape{
                std::size_t(image.height), std::size_t(image.width), std::size_t(image.channels)};
            std::uint8_t* data = image.samples.data();
            return array_over(shape, data, std::move(image.samples));
        },
        py::arg("path"), py::arg("threads") = 0, py::kw_only(), py::arg("progress") = py::none(),
        R"(Decode an image file (PNG, JPEG, WebP, GIF, HEIC, AVIF, JPEG XL, TIFF, BMP, ...) to an
H x W x 3 or H x W x 4 uint8 array, upright by its EXIF orientation, on at most `threads`
threads (0 = one per core). progress: as quantize()'s, called with 'decode' from inside the
threads the decode runs on, before it starts.)");

    m.def(
        "decode",
        [](const py::bytes& data, const std::string& name, int threads,
           const py::object& progress) {
            const std::string_view bytes = data;
            quantize::Image image = PythonProgress(progress).run([&](const quantize::Progress& p) {
                return quantize::decode_image(
                    std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                    name, {}, threads, p);
            });
            const std::vector<std::size_t> shape{
                std::size_t(image.height), std::size_t(image.width), std::size_t(image.channels)};
            std::uint8_t* data_ptr = image.samples.data();
            return array_over(shape, data_ptr, std::move(image.samples));
        },
        py::arg("data"), py::arg("name") = "bytes", py::arg("threads") = 0, py::kw_only(),
        py::arg("progress") = py::none(),
        "Decode an encoded image held in memory, as read() does a file, on at most `threads` "
        "threads (0 = one per core); `name` names it in errors; progress as read()'s.");

    m.def(
        "_arena_threads", [] { return tbb::this_task_arena::max_concurrency(); },
        "The most threads the work calling this may run on (its oneTBB arena's concurrency): "
        "called from a progress callback, the thread limit the call runs under. For tests.");

    m.def(
        "encode",
        [](const Result& result, const std::string& format) {
            // The format as an extension names it: "png", "jpg", "tif", ...
            const auto f = quantize::format_of("bytes." + format);
            if (!f)
                throw Error(ErrorKind::invalid_argument, "format",
                            "unknown format '" + format + "'");
            std::vector<std::uint8_t> bytes;
            {
                py::gil_scoped_release unlocked;
                bytes = quantize::encode_image(result.run.image, *f, "bytes");
            }
            return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        },
        py::arg("result"), py::arg("format") = "png",
        "A result encoded in memory: 'png' (palette PNG), 'gif', 'jpg', 'webp', 'tif' or 'bmp'.");

    m.def(
        "write",
        [](const std::filesystem::path& path, const Result& result, bool overwrite) {
            py::gil_scoped_release unlocked;
            quantize::check_output_path(quantize::OutputGuard(), path, overwrite);
            const std::vector<std::uint8_t> bytes = quantize::encode_image(result.run.image, path);
            quantize::OutputGuard().write(path, bytes, overwrite);
        },
        py::arg("path"), py::arg("result"), py::arg("overwrite") = false,
        R"(Write a result to a file whose extension picks the format (.png is a palette PNG),
atomically; an existing file is replaced only with overwrite=True. An array carries no
metadata, so the bytes equal `quantize INPUT -k K -o OUTPUT`'s only for inputs without any
(EXIF, XMP, text, color profile); quantize_file keeps them as the command does.)");

    m.def(
        "quantize_file",
        [](const std::filesystem::path& input, const std::filesystem::path& output, int k,
           bool overwrite, const py::kwargs& kwargs) {
            const quantize::Options options = options_from(k, kwargs);
            std::string json;
            {
                py::gil_scoped_release unlocked;
                json = quantize::format_json(
                    quantize::quantize_file(input, output, options, overwrite));
            }
            return json_loads(json);
        },
        py::arg("input"), py::arg("output"), py::arg("k") = 16, py::arg("overwrite") = false,
        R"(File to file, as the command does one image: decode (metadata, profile and orientation
kept as the command keeps them), quantize, encode by the output's extension and write
atomically. The same bytes as `quantize INPUT -k K -o OUTPUT` and as `quantize batch`'s output
of that file. Options as quantize(), plus skip_if_larger (write nothing when the output would
be larger than the input, as batch does unless --keep-larger; report["bytes"]["written"]
says). Returns the report dict.)");

    m.def(
        "plan_batch",
        [](const std::vector<std::filesystem::path>& inputs,
           const std::filesystem::path& output_dir, bool recursive) {
            quantize::BatchSources sources;
            sources.inputs = inputs;
            sources.recursive = recursive;
            std::vector<quantize::BatchItem> items;
            {
                py::gil_scoped_release unlocked;
                items = quantize::plan_batch(sources, output_dir, ".png");
            }
            py::list pairs;
            for (const quantize::BatchItem& item : items) {
                if (!item.problem.empty())
                    throw Error(ErrorKind::input, item.input.string(), item.problem);
                pairs.append(py::make_tuple(item.input, item.output));
            }
            return pairs;
        },
        py::arg("inputs"), py::arg("output_dir"), py::arg("recursive") = false,
        R"(The files `quantize batch INPUTS -o OUTPUT_DIR [-r]` takes, sorted, each with its output
path: [(input, output)]. With quantize_file on each pair, a scheduler of your own (Dask, a
process pool) writes what the batch writes.)");

    m.def(
        "_view",
        [](const py::buffer& array) {
            const ArrayView in = view_of(array);
            return py::make_tuple(reinterpret_cast<std::uintptr_t>(in.view.data()), in.view.width(),
                                  in.view.height(), in.view.channels(), in.view.stride());
        },
        py::arg("array"),
        "The view quantize() takes of an array: (address, width, height, channels, row stride).");
}
