"""Type stubs of the quantize module (python/quantize_module.cpp)."""
import os
from typing import Any, Callable, Iterable, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

# A hex string ("#fff", "#ffffff", "#ffffff80") or (r, g, b[, a]) with each 0..255.
ColorLike = Union[str, Sequence[int]]
PathLike = Union[str, os.PathLike[str]]
# Called with a stage's name; False (or raising) stops the run, None or anything true goes on.
ProgressCallback = Callable[[str], Optional[bool]]

class Error(Exception):
    subject: str
    cause: str

class InvalidArgumentError(Error, ValueError): ...
class InputError(Error, OSError): ...
class TooLargeError(InputError): ...
class OutputError(Error, OSError): ...
class CancelledError(Error): ...
class QualityTooLowError(Error): ...

class Result:
    @property
    def indices(self) -> npt.NDArray[np.uint8]: ...
    @property
    def palette(self) -> npt.NDArray[np.uint8]: ...
    @property
    def counts(self) -> list[int]: ...
    @property
    def image(self) -> npt.NDArray[np.uint8]: ...
    @property
    def report(self) -> dict[str, Any]: ...

# Option values of another type or out of range raise InvalidArgumentError, as do arrays that
# are not H x W x 3 or 4 uint8 with at least one pixel.
def quantize(
    array: npt.ArrayLike,
    k: int = 16,
    *,
    progress: Optional[ProgressCallback] = None,
    sample: Union[int, Literal["auto"]] = ...,
    seed: int = ...,
    max_iter: int = ...,
    tolerance: float = ...,
    threads: int = ...,
    restarts: int = ...,
    space: str = ...,
    dither: Optional[str] = ...,
    dither_level: float = ...,
    fixed: Union[str, Iterable[ColorLike]] = ...,  # a str: hex colors separated by commas
) -> Result: ...
def palette(arrays: Iterable[npt.ArrayLike], k: int = 16, **options: Any) -> npt.NDArray[np.uint8]: ...
def read(
    path: PathLike, threads: int = 0, *, progress: Optional[ProgressCallback] = None
) -> npt.NDArray[np.uint8]: ...
def decode(
    data: bytes, name: str = "bytes", threads: int = 0, *,
    progress: Optional[ProgressCallback] = None
) -> npt.NDArray[np.uint8]: ...
def encode(result: Result, format: str = "png") -> bytes: ...
def write(path: PathLike, result: Result, overwrite: bool = False) -> None: ...
def quantize_file(
    input: PathLike, output: PathLike, k: int = 16, overwrite: bool = False,
    *, skip_if_larger: bool = False, **options: Any
) -> dict[str, Any]: ...
def _arena_threads() -> int: ...
def plan_batch(inputs: Sequence[PathLike], output_dir: PathLike, recursive: bool = False) -> list[Tuple[str, str]]: ...
def _view(array: npt.ArrayLike) -> Tuple[int, int, int, int, int]: ...
