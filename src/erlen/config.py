"""The app's configuration: a dict with Flask's loading helpers."""

from __future__ import annotations

import errno
import importlib
import json
import os
import types
from collections.abc import Callable, Mapping
from typing import IO, Any


def import_string(import_name: str) -> Any:
    """Import ``module.attr`` or ``module:attr`` and return the object it names."""
    if ":" in import_name:
        module_name, _, attribute = import_name.partition(":")
    elif "." in import_name:
        module_name, _, attribute = import_name.rpartition(".")
    else:
        return importlib.import_module(import_name)
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        # ``package.module`` where the last part is a module, not an attribute.
        return importlib.import_module(import_name.replace(":", "."))
    try:
        return getattr(module, attribute)
    except AttributeError:
        return importlib.import_module(f"{module_name}.{attribute}")


class Config(dict[str, Any]):
    """Configuration values; only upper-case keys are loaded from objects and files."""

    def __init__(self, root_path: str | os.PathLike[str], defaults: dict[str, Any] | None = None):
        super().__init__(defaults or {})
        self.root_path = os.fspath(root_path)

    def from_mapping(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> bool:
        """Load the upper-case keys of ``mapping`` and ``kwargs``."""
        mappings: dict[str, Any] = {}
        if mapping is not None:
            mappings.update(mapping)
        mappings.update(kwargs)
        for key, value in mappings.items():
            if key.isupper():
                self[key] = value
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the upper-case attributes of an object, class or module (or its import path)."""
        if isinstance(obj, str):
            obj = import_string(obj)
        for key in dir(obj):
            if key.isupper():
                self[key] = getattr(obj, key)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], Any] = json.loads
    ) -> bool:
        """Load environment variables named ``PREFIX_KEY``; ``__`` in a key nests into dicts.

        Values are parsed with ``loads`` (JSON by default) and kept as strings when
        they do not parse. The default prefix is Flask's so existing deployments work.
        """
        prefix = f"{prefix}_"
        for key in sorted(os.environ):
            if not key.startswith(prefix):
                continue
            raw = os.environ[key]
            value: Any
            try:
                value = loads(raw)
            except Exception:
                value = raw
            key = key.removeprefix(prefix)
            if "__" not in key:
                self[key] = value
                continue
            current: dict[str, Any] = self
            *parents, tail = key.split("__")
            for parent in parents:
                if parent not in current:
                    current[parent] = {}
                current = current[parent]
            current[tail] = value
        return True

    def from_pyfile(self, filename: str | os.PathLike[str], silent: bool = False) -> bool:
        """Execute a Python file and load its upper-case names."""
        filename = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = filename
        try:
            with open(filename, mode="rb") as config_file:
                exec(compile(config_file.read(), filename, "exec"), module.__dict__)
        except OSError as error:
            if silent and error.errno in (errno.ENOENT, errno.EISDIR, errno.ENOTDIR):
                return False
            error.strerror = f"Unable to load configuration file ({error.strerror})"
            raise
        self.from_object(module)
        return True

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file named by an environment variable."""
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set and as such"
                " configuration could not be loaded. Set this variable and make it"
                " point to a configuration file"
            )
        return self.from_pyfile(filename, silent=silent)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[IO[Any]], Mapping[str, Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a file with ``load`` (e.g. ``json.load`` or ``tomllib.load``)."""
        filename = os.path.join(self.root_path, filename)
        try:
            with open(filename, "r" if text else "rb") as config_file:
                obj = load(config_file)
        except OSError as error:
            if silent and error.errno in (errno.ENOENT, errno.EISDIR):
                return False
            error.strerror = f"Unable to load configuration file ({error.strerror})"
            raise
        return self.from_mapping(obj)

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, Any]:
        """The keys starting with ``namespace``, trimmed and lower-cased by default."""
        result = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            name = key[len(namespace) :] if trim_namespace else key
            result[name.lower() if lowercase else name] = value
        return result

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"
