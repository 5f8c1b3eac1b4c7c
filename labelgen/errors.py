"""Every exception labelgen raises, in one place; each ends in ``Error``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: the dotted path of the field and the reason."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class LabelgenError(Exception):
    """Base class of every error labelgen raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as it is, attributes and message, without calling `__init__` again: several
        # take other arguments than the message (problems, a report), and an error raised in a
        # worker or the registry's process is raised again in the process that asked.
        return (_restored_error, (type(self), self.args, self.__dict__))


def _restored_error(
    kind: type[LabelgenError], args: tuple[Any, ...], attributes: dict[str, Any]
) -> LabelgenError:
    error = kind.__new__(kind, *args)
    error.args = args
    error.__dict__.update(attributes)
    return error


class SpecError(LabelgenError):
    """The spec cannot be read or is not valid; carries one problem per bad field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class TemplateError(LabelgenError):
    """A template folder is missing, unreadable or its manifest is not valid."""


class FontError(LabelgenError):
    """A requested font family is not bundled, or text holds a character it cannot draw."""


class CodeError(LabelgenError):
    """A barcode or QR code cannot be made from the given data."""


class DigitalLinkError(CodeError):
    """A scanned URL is not valid GS1 Digital Link (or labelgen code) syntax: `ai` names the AI
    at fault when one is, `reason` says why; `fourteen_digit` is the GTIN-14 that a legacy
    8/12/13-digit GTIN in the path stands for."""

    def __init__(
        self,
        reason: str,
        ai: str | None = None,
        *,
        title: str | None = None,
        fourteen_digit: str | None = None,
    ) -> None:
        self.reason = reason
        self.ai = ai
        self.fourteen_digit = fourteen_digit
        where = f"AI {ai}" + (f" ({title})" if title else "") if ai else ""
        super().__init__(f"url: {where}: {reason}" if where else f"url: {reason}")


class RenderError(LabelgenError):
    """An output format could not be produced from the drawing."""


class PackageError(SpecError):
    """A carton cannot be made from the spec's `package:` and `template:`: one field, one reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__([Problem(field, reason)])


class NotCompliantError(LabelgenError):
    """The label breaks a rule marked `error`; `report` holds every finding (render with
    draft=True to get a marked draft anyway)."""

    def __init__(self, report: Any) -> None:
        self.report = report
        errors = [finding for finding in report.findings if finding.severity == "error"]
        rules = ", ".join(sorted({finding.rule for finding in errors}))
        super().__init__(f"the label is not compliant ({len(errors)} error(s): {rules})")


class ServiceError(LabelgenError):
    """A request the HTTP service cannot serve for a reason of its own (limits, load, workers)."""


class RequestTooLargeError(ServiceError):
    """A request body is larger than the service accepts; `limit_bytes` is that size."""

    def __init__(self, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(f"the request body is larger than {limit_bytes:,} bytes")


class UnsupportedMediaTypeError(ServiceError):
    """A request body is not in a media type the route reads (a spec is sent as JSON)."""


class MalformedBodyError(ServiceError):
    """A request body cannot be read as the JSON document the route expects."""


class ServiceBusyError(ServiceError):
    """Every render worker is busy and the queue is full; try again after `retry_after_s`."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"the service is busy; try again in {retry_after_s} s")


class TooManyReportsError(ServiceBusyError):
    """One code was reported too often in the last minute; answered 429 like a busy service."""

    def __init__(self, reason: str, retry_after_s: int = 60) -> None:
        super().__init__(retry_after_s)
        self.args = (f"{reason}; try again in {retry_after_s} s",)


class ServiceUnavailableError(ServiceError):
    """No render worker can take the request (starting, shutting down, or none left)."""

    def __init__(self, reason: str, retry_after_s: int = 5) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(reason)


class RenderTimeoutError(ServiceError):
    """A render ran past its time limit; its worker was stopped and replaced."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        super().__init__(f"the render took longer than {limit_s:g} s and was stopped")


class RenderFailedError(ServiceError):
    """A render failed in its worker for a reason that is the service's fault (it is logged,
    and the worker replaced); the client is told no more than that."""


class LabelTooComplexError(ServiceError):
    """A render needed more memory (or nesting) than a worker may use."""


class WorkerStartError(ServiceError):
    """The render workers could not be started (the service cannot serve renders)."""


class RegistryError(LabelgenError):
    """A certificate-registry operation cannot be done as asked."""


class RegistryInputError(RegistryError):
    """A value given to the registry is not valid; carries one problem per bad field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


class AuthenticationError(RegistryError):
    """An API key is missing, malformed, unknown or revoked."""


class MissingCredentialsError(AuthenticationError):
    """No API key was sent to a route that needs one."""


class RegistryUnavailableError(RegistryError):
    """The registry's database cannot be reached or used now (the request may be retried)."""


class PermissionDeniedError(RegistryError):
    """The caller's role may not do this (an anonymous caller, or the wrong role)."""


class NotFoundError(RegistryError):
    """No such record, or one that belongs to another producer (the two are not told apart)."""


class ConflictError(RegistryError):
    """The record clashes with one that exists (a certificate number or GTIN already taken)."""


class SigningKeyError(RegistryError):
    """No signing key can sign or verify: none active, a key file missing or unreadable."""


class SheetError(LabelgenError):
    """A sheet size, label-sheet preset or imposition setting is not valid or cannot hold the label."""


class ColourError(LabelgenError):
    """Artwork holds a colour or image the print colour conversion cannot turn into CMYK."""


class BatchError(LabelgenError):
    """A print run cannot be made: bad serial source, count, or a run folder that does not match."""


class StorageError(ServiceUnavailableError):
    """The run store (LABELGEN_RUN_STORE_DIR) cannot be used: missing, not writable."""


class QueueConfigError(RegistryError):
    """`labelgen worker` was asked to run without a PostgreSQL database to take jobs from."""


class RunInterruptedError(LabelgenError):
    """A print run was stopped before it finished (its worker is stopping, or another worker
    holds it); it is drawn again later from its last checkpoint."""
