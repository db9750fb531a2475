"""_errors.py: diagnostics as Python values, and the exceptions the package raises with them."""
import dataclasses

from . import _lib


@dataclasses.dataclass(frozen=True)
class Diagnostic:
    """One diagnostic: stable id (K2001), name, severity, message, and its place (line/column 0 when it has none)."""
    id: str
    name: str
    severity: str
    message: str
    path: str
    line: int
    column: int

    def __str__(self):
        place = f"{self.path}:{self.line}:{self.column}: " if self.line else (f"{self.path}: " if self.path else "")
        return f"{place}{self.severity}: {self.message}"


class KilnError(Exception):
    """Base of the package's errors: `diagnostics` (a list of Diagnostic) and `text`, rendered as the CLI does."""

    def __init__(self, text, diagnostics=()):
        super().__init__(text.rstrip("\n") or "kiln error")
        self.text = text
        self.diagnostics = list(diagnostics)


class CompileError(KilnError):
    """The kernel does not compile (for these dims, this target, this executor)."""


class InputError(KilnError, ValueError):
    """The inputs do not fit the kernel: an unknown or missing parameter, a shape or dtype mismatch."""


class RunError(KilnError):
    """The executor failed or reported an error (sim: a race, an uninitialised read, an out-of-bounds access)."""


class VerifyError(KilnError):
    """ref, sim and llvm disagree beyond the dtype's tolerance; one diagnostic per output that differs."""


class UsageError(KilnError, TypeError):
    """The library refused a call (an unknown backend or target, a malformed argument)."""


class FileError(KilnError, OSError):
    """A file could not be read or written."""


_BY_STATUS = {_lib.ERROR_USAGE: UsageError, _lib.ERROR_COMPILE: CompileError, _lib.ERROR_INPUT: InputError,
              _lib.ERROR_RUN: RunError, _lib.ERROR_VERIFY: VerifyError, _lib.ERROR_IO: FileError}


def read_diagnostics(handle):
    """The diagnostics of a kiln_diagnostics handle, and their rendered text."""
    library = _lib.lib()
    entry = _lib.Diagnostic()
    found = []
    for index in range(library.kiln_diagnostics_count(handle)):
        if library.kiln_diagnostics_get(handle, index, entry) == _lib.OK:
            found.append(Diagnostic(_lib.text(entry.id), _lib.text(entry.name), _lib.SEVERITIES.get(entry.severity, "error"),
                                    _lib.text(entry.message), _lib.text(entry.path), entry.line, entry.column))
    return found, _lib.text(library.kiln_diagnostics_text(handle))


def raise_for(status, diagnostics_handle):
    """Raises the error of a failed status with the handle's diagnostics."""
    diagnostics, text = read_diagnostics(diagnostics_handle)
    raise _BY_STATUS.get(status, KilnError)(text or _lib.text(_lib.lib().kiln_last_error()), diagnostics)


def check_io(status, what):
    """Raises FileError (or UsageError) when a write through the library failed."""
    if status != _lib.OK:
        message = _lib.text(_lib.lib().kiln_last_error()) or what
        raise _BY_STATUS.get(status, KilnError)(message)
