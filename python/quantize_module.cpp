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
#include <limits>
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

// An int argument (k, threads) taken as whatever Python passed, for Keyword to check: pybind11
// would refuse a wrong value before the call with a TypeError that prints every argument (a
// whole array). Signatures still say int.
struct IntArgument {
    py::object value;
};

namespace pybind11::detail {
template <>
struct type_caster<IntArgument> {
    PYBIND11_TYPE_CASTER(IntArgument, const_name("int"));
    bool load(handle source, bool) {
        value.value = reinterpret_borrow<object>(source);
        return true;
    }
};
}  // namespace pybind11::detail

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
    if (b.shape[0] == 0 || b.shape[1] == 0) {
        refuse("must have a row and a column of pixels or more (got shape (" +
               std::to_string(b.shape[0]) + ", " + std::to_string(b.shape[1]) + ", " +
               std::to_string(channels) + "))");
    }
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

// A value as an error shows it: its repr when short and on one line ('16', -1, (300, 0, 0)),
// else its type ("a numpy.ndarray"), so an array passed by mistake is not printed whole.
std::string shown(const py::handle& value) {
    constexpr std::size_t kLongest = 40;  // characters
    try {
        const std::string text = py::repr(value).cast<std::string>();
        if (text.size() <= kLongest && text.find('\n') == std::string::npos)
            return text;
    } catch (const py::error_already_set&) {
        // A repr that raises: the type says enough.
    }
    return std::string("a ") + Py_TYPE(value.ptr())->tp_name;
}

// A whole number lo..hi: an int or what stands for one (numpy integers), not a bool, float or
// string; nullopt for anything else.
template <class T>
std::optional<T> whole_number(const py::handle& value, T lo, T hi) {
    if (PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr()))
        return std::nullopt;
    const auto number = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
    if (!number) {
        PyErr_Clear();
        return std::nullopt;
    }
    if (number < py::int_(lo) || number > py::int_(hi))
        return std::nullopt;
    return number.cast<T>();
}

// A keyword argument's value with the option it sets, named as the command names it ("colors"
// for k, "max-iter" for max_iter), read as one of the few types options have. Each read
// refuses a value of another type, or one its C++ type cannot hold, with
// InvalidArgumentError "<option>: must be <expected> (got <value>)", the command's wording;
// ranges within the type are the library's to check (validate), as they are for the command.
class Keyword {
  public:
    Keyword(std::string option, const py::handle& value)
        : option_(std::move(option)), value_(value) {}

    [[noreturn]] void refuse(const std::string& expected) const { refuse(expected, value_); }
    // The same, showing a part of the value (an item of a list).
    [[noreturn]] void refuse(const std::string& expected, const py::handle& part) const {
        throw Error(ErrorKind::invalid_argument, option_,
                    "must be " + expected + " (got " + shown(part) + ")");
    }

    bool is_none() const { return value_.is_none(); }
    bool is(std::string_view text) const {
        return py::isinstance<py::str>(value_) && value_.cast<std::string>() == text;
    }

    template <class T>
    T whole(const std::string& expected, T lo = std::numeric_limits<T>::min(),
            T hi = std::numeric_limits<T>::max()) const {
        if (const auto number = whole_number(value_, lo, hi))
            return *number;
        refuse(expected);
    }

    // An int or float (numpy's too), not a bool or string.
    double real(const std::string& expected) const {
        if (PyBool_Check(value_.ptr()) || py::isinstance<py::str>(value_))
            refuse(expected);
        const double number = PyFloat_AsDouble(value_.ptr());
        if (number == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            refuse(expected);
        }
        return number;
    }

    bool flag() const {
        py::detail::make_caster<bool> caster;  // True or False (numpy's too), nothing truthy
        if (!caster.load(value_, false))
            refuse("True or False");
        return py::detail::cast_op<bool>(caster);
    }

    // A name the library looks up (color_space_named, dither_named), refused in the library's
    // words, which list the names; a value that is not a string is looked up as its repr.
    template <class Lookup>
    auto name(Lookup lookup) const {
        if (!py::isinstance<py::str>(value_)) {
            static_cast<void>(lookup(shown(value_)));  // refused, in the library's words
            refuse("a name");                          // a repr that spells a name
        }
        return lookup(value_.cast<std::string>());
    }

    // Colors: hex strings (each, or a whole string, a comma list as the command's --fixed
    // takes) and (r, g, b[, a]) sequences of whole numbers 0..255.
    std::vector<quantize::Color> colors() const {
        const std::string expected = "a hex color or (r, g, b[, a]) with each 0..255";
        if (py::isinstance<py::str>(value_))
            return quantize::parse_color_list(value_.cast<std::string>());
        if (!py::isinstance<py::iterable>(value_))
            refuse("hex colors or (r, g, b[, a]) tuples with each 0..255");
        std::vector<quantize::Color> colors;
        for (const py::handle item : value_) {
            if (py::isinstance<py::str>(item)) {
                const auto some = quantize::parse_color_list(item.cast<std::string>());
                colors.insert(colors.end(), some.begin(), some.end());
                continue;
            }
            if (!py::isinstance<py::sequence>(item))
                refuse(expected, item);
            const auto channels = py::reinterpret_borrow<py::sequence>(item);
            if (channels.size() != 3 && channels.size() != 4)
                refuse(expected, item);
            std::uint8_t v[4] = {0, 0, 0, 255};
            for (std::size_t c = 0; c < channels.size(); ++c) {
                const auto byte = whole_number<std::uint8_t>(channels[c], 0, 255);
                if (!byte)
                    refuse(expected, item);
                v[c] = *byte;
            }
            colors.push_back({v[0], v[1], v[2], v[3]});
        }
        return colors;
    }

  private:
    std::string option_;
    py::handle value_;
};

// A thread limit: quantize()'s keyword, read()'s and decode()'s argument.
int threads_of(const Keyword& threads) {
    return threads.whole<int>("a whole number, 0 = one per core");
}

// The keyword arguments the module takes, by the command's option names (dashes as
// underscores), each with what it sets; anything else is a TypeError, as Python gives for an
// unknown keyword. A new option is one row.
using Setter = void (*)(quantize::Options&, const Keyword&);
constexpr std::pair<std::string_view, Setter> kOptionSetters[] = {
    {"sample",
     [](auto& o, const Keyword& v) {
         o.clustering.sample = v.is("auto")
                                   ? quantize::kAutoSample
                                   : v.whole<std::size_t>("auto or a pixel count, 0 = every pixel",
                                                          0, quantize::kAutoSample - 1);
     }},
    {"seed",
     [](auto& o, const Keyword& v) {
         o.clustering.seed = v.whole<std::uint64_t>("a whole number 0..2**64-1");
     }},
    {"max_iter",
     [](auto& o, const Keyword& v) {
         o.clustering.max_iter = v.whole<int>("a whole number 1..10000");
     }},
    {"tolerance",
     [](auto& o, const Keyword& v) { o.clustering.tolerance = v.real("a number 0..255"); }},
    {"threads", [](auto& o, const Keyword& v) { o.running.threads = threads_of(v); }},
    {"restarts",
     [](auto& o, const Keyword& v) {
         o.clustering.restarts = v.whole<int>("a whole number 0..100, 0 = auto");
     }},
    {"space",
     [](auto& o, const Keyword& v) { o.clustering.space = v.name(quantize::color_space_named); }},
    {"dither",
     [](auto& o, const Keyword& v) {
         o.mapping.dither = v.is_none() ? quantize::Dither::none : v.name(quantize::dither_named);
     }},
    {"dither_level",
     [](auto& o, const Keyword& v) { o.mapping.dither_level = v.real("a number 0..1"); }},
    {"skip_if_larger", [](auto& o, const Keyword& v) { o.encoding.skip_if_larger = v.flag(); }},
    {"fixed", [](auto& o, const Keyword& v) { o.clustering.fixed = v.colors(); }},
};

// The command's name of a keyword: max_iter -> "max-iter".
std::string option_name(std::string keyword) {
    std::replace(keyword.begin(), keyword.end(), '_', '-');
    return keyword;
}

quantize::Options options_from(const IntArgument& k, const py::kwargs& kwargs) {
    quantize::Options o;
    o.clustering.colors = Keyword("colors", k.value).whole<int>("a whole number 1..256");
    for (const auto& [key, value] : kwargs) {
        const std::string name = key.cast<std::string>();
        const auto* row = std::find_if(std::begin(kOptionSetters), std::end(kOptionSetters),
                                       [&](const auto& r) { return r.first == name; });
        if (row == std::end(kOptionSetters))
            throw py::type_error("unexpected keyword argument '" + name + "'");
        row->second(o, Keyword(option_name(name), value));
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
    // The library says only that an output exists; how to replace it is this module's keyword.
    const std::string cause = quantize::is_already_exists(e)
                                  ? e.cause() + " (use overwrite=True to overwrite)"
                                  : e.cause();
    py::object error = type(e.subject() + ": " + cause);
    error.attr("subject") = e.subject();
    error.attr("cause") = cause;
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
        [](const py::buffer& array, const IntArgument& k, const py::object& progress,
           const py::kwargs& kwargs) {
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
k: colors, a whole number 1..256.
Keyword options, as the command's: sample ('auto' or a pixel count, 0 = every pixel), seed
    (0..2**64-1), max_iter, threads, restarts (whole numbers), tolerance, dither_level (numbers),
    space ('wrgb', 'rgb', 'lab', 'oklab'), dither (None, 'none', 'fs', 'adaptive', 'ordered',
    'bayer'), fixed (hex strings or (r, g, b[, a]) tuples of 0..255, or one string of hex
    colors separated by commas as --fixed takes). A value of another type or out of range
    raises quantize.InvalidArgumentError whose subject is the option as the command names it
    ('colors' for k, 'max-iter' for max_iter): '<option>: must be ... (got <value>)'.
progress: None, or a callable called with the stage's name ('sample', 'cluster', 'remap') before
    each stage and again inside its loops (every k-means++ pick and Lloyd update, every 64 Ki
    pixels sampled or mapped), from a worker thread, holding the GIL only for the call; return
    False (or raise) to stop: quantize.CancelledError (or what it raised).
Returns a Result: .indices (H x W), .palette (K x C), .image (H x W x C), .report (dict).
The same array, options and seed give the same result whatever `threads`.)");

    m.def(
        "palette",
        [](const py::iterable& arrays, const IntArgument& k, const py::kwargs& kwargs) {
            const quantize::Options options = options_from(k, kwargs);
            std::vector<ArrayView> held;
            for (const py::handle a : arrays)
                held.push_back(view_of(py::reinterpret_borrow<py::buffer>(a), "arrays"));
            if (held.empty())
                throw Error(ErrorKind::invalid_argument, "arrays",
                            "no images were given: pass one array or more");
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
            // No pixel counted: all were fully transparent and left out, as the command says.
            if (quantize::total_count(palette) == 0 &&
                PyErr_WarnEx(PyExc_UserWarning,
                             "every pixel is fully transparent, so no color was taken", 1) != 0)
                throw py::error_already_set();  // warnings turned into errors
            return palette_array(palette, channels);
        },
        py::arg("arrays"), py::arg("k") = 16,
        R"(The dominant colors of one or more images taken together (k-means on their samples,
no remap), most common first: K x 3, or K x 4 when any image has alpha. Options as
quantize(). No arrays at all is an InvalidArgumentError, as is an array without pixels. Fully
transparent pixels are left out; when every pixel is, a UserWarning says so and the palette is
empty.)");

    m.def(
        "read",
        [](const std::filesystem::path& path, const IntArgument& threads,
           const py::object& progress) {
            const int limit = threads_of(Keyword("threads", threads.value));
            quantize::Image image = PythonProgress(progress).run([&](const quantize::Progress& p) {
                return quantize::read_image(path, {}, limit, p);
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
        [](const py::bytes& data, const std::string& name, const IntArgument& threads,
           const py::object& progress) {
            const std::string_view bytes = data;
            const int limit = threads_of(Keyword("threads", threads.value));
            quantize::Image image = PythonProgress(progress).run([&](const quantize::Progress& p) {
                return quantize::decode_image(
                    std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
                    name, {}, limit, p);
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
        [](const std::filesystem::path& input, const std::filesystem::path& output,
           const IntArgument& k, bool overwrite, const py::kwargs& kwargs) {
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
