"""The files and variables settings come from, read so that every problem names its key and fix.

:mod:`core.config` validates values; this module reads their sources: the TOML config file, the
private secrets file and ``TRADE_*`` variables that hold JSON. Whatever is wrong with them (a
directory where a file should be, bytes that are not UTF-8, invalid TOML, a table that is a
string, API keys in the config file) becomes a :class:`ConfigError`, never a traceback.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from core.config_keys import KEY_VENUES, secret_fields

#: Top-level keys that hold API credentials; they never belong in the config file.
SECRET_KEYS = secret_fields()


COMMAND_LINE_KEYS = frozenset({"strategy", "backtest"})
"""Problem keys that name a command's argument, not a setting (besides ``--flags``)."""


class ConfigError(ValueError):
    """Invalid settings. ``str()`` names each bad key and how to fix it; never contains secrets."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        lines = [f"{key}: {msg}" for key, msg in problems]
        arguments = all(key.startswith("-") or key in COMMAND_LINE_KEYS for key, _ in problems)
        heading = "invalid arguments" if arguments else "invalid settings"
        super().__init__(f"{heading}:\n  " + "\n  ".join(lines))


def read_toml(path: Path, key: str) -> dict[str, Any]:
    """The TOML document in ``path``; every way it cannot be read is a :class:`ConfigError` on ``key``."""
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist or is not a regular file"
        raise ConfigError([(key, f"{path} {what}; give the path of a TOML file")])
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([(key, f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8")]) from None
    except OSError as exc:
        raise ConfigError(
            [(key, f"{path} cannot be read ({exc.strerror or exc}); check its permissions")]
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([(key, f"{path} is not valid TOML: {exc}")]) from None


def config_file(config_path: str | os.PathLike[str] | None, default: Path) -> Path | None:
    """The config file to read: the argument, ``$TRADE_CONFIG`` or ``default`` (when it exists).

    The file is read once here, so a file that cannot be used fails with its path and the fix,
    and API keys written in it are refused (:func:`secrets_in_config`).
    """
    path: Path | None
    source = "--config"
    if config_path is not None:
        path = Path(config_path)
    elif os.environ.get("TRADE_CONFIG"):
        path, source = Path(os.environ["TRADE_CONFIG"]), "TRADE_CONFIG"
    else:
        path = default if default.exists() else None
    if path is None:
        return None
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise ConfigError(
            [(source, f"{path} {what}; give the path of a config file (see config.toml for an example)")]
        )
    raw = read_toml(path, "config")
    problems = secrets_in_config(raw, path)
    if problems:
        raise ConfigError(problems)
    return path


def secrets_in_config(raw: dict[str, Any], path: Path) -> list[tuple[str, str]]:
    """API keys written in the config file: refused, naming each key and where it belongs."""
    problems = []
    for name in SECRET_KEYS:
        if name in raw:
            table, field = name.rsplit("_api_", 1)
            problems.append(
                (
                    name,
                    f"API keys never go in the config file {path}: remove it from there and set "
                    f"TRADE_{name.upper()} or put api_{field} in the [{table.replace('_', '.')}] "
                    "table of a secrets_file (chmod 600)",
                )
            )
    return problems


def load_secrets_file(path: Path) -> dict[str, SecretStr]:
    """Read ``[demo]``/``[live]`` tables with ``api_key``/``api_secret`` from a private file, and
    a venue's own ``[<venue>.demo]``/``[<venue>.live]`` tables (``[hyperliquid.demo]``)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ConfigError(
            [("secrets_file", f"{path} does not exist; create it or unset secrets_file")]
        ) from None
    except OSError as exc:
        raise ConfigError([("secrets_file", f"{path} cannot be read ({exc.strerror or exc})")]) from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(
            [("secrets_file", f"{path} is not a regular file; give the path of a TOML file (chmod 600)")]
        )
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            [
                (
                    "secrets_file",
                    f"{path} is readable by group/others (mode {stat.S_IMODE(st.st_mode):o}); "
                    f"fix with: chmod 600 {path}",
                )
            ]
        )
    raw = read_toml(path, "secrets_file")
    out: dict[str, SecretStr] = {}
    problems: list[tuple[str, str]] = []
    for env in ("demo", "live"):
        _read_key_table(path, raw.get(env, {}), env, out, problems)
    for venue in KEY_VENUES:
        tables = raw.get(venue, {})
        if not isinstance(tables, dict):
            problems.append(
                (
                    f"secrets_file [{venue}]",
                    f'in {path} must hold tables: [{venue}.demo] then api_key = "..."',
                )
            )
            continue
        for env in ("demo", "live"):
            _read_key_table(path, tables.get(env, {}), f"{venue}.{env}", out, problems)
    if problems:
        raise ConfigError(problems)
    return out


def _read_key_table(
    path: Path, table: Any, name: str, out: dict[str, SecretStr], problems: list[tuple[str, str]]
) -> None:
    """``api_key``/``api_secret`` of the secrets file's ``[name]`` table into ``out``."""
    if not isinstance(table, dict):
        problems.append(
            (f"secrets_file [{name}]", f'in {path} must be a table: [{name}] then api_key = "..."')
        )
        return
    for field_name in ("api_key", "api_secret"):
        value = table.get(field_name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            problems.append(
                (f"secrets_file [{name}] {field_name}", f"in {path} must be a non-empty quoted string")
            )
            continue
        out[f"{name.replace('.', '_')}_{field_name}"] = SecretStr(value)


_ENV_FIELD = re.compile(r'field "([^"]+)"')


def env_source_problem(message: str) -> tuple[str, str]:
    """A ``TRADE_*`` variable pydantic-settings could not parse (JSON for a section or list)."""
    found = _ENV_FIELD.search(message)
    field = found.group(1) if found else ""
    var = f"TRADE_{field.upper()}" if field else "TRADE_*"
    example = f"TRADE_{field.upper()}__<KEY>=value" if field else "TRADE_<SECTION>__<KEY>=value"
    return (
        var,
        f"is not valid JSON for {field or 'this setting'}; give a JSON value, or set one key "
        f"at a time with {example}",
    )
