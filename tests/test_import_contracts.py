"""The import contracts in .importlinter (run by the test command before pytest) cover every
part of Bridge: a new top-level module is named in the contracts that keep the Xero sandbox and
Bridge apart, so it cannot slip past them."""
import configparser
import pkgutil
from pathlib import Path

import bridge

CONTRACTS = Path(__file__).resolve().parent.parent / ".importlinter"


def listed(section: str, option: str) -> set[str]:
    parser = configparser.ConfigParser()
    parser.read(CONTRACTS)
    return {line.strip() for line in parser[section][option].splitlines() if line.strip()}


def bridge_modules() -> set[str]:
    """bridge's top-level modules and packages, the sandbox left out."""
    return {f"bridge.{info.name}" for info in pkgutil.iter_modules(bridge.__path__)} - {"bridge.xero_sandbox"}


def test_the_sandbox_may_import_no_part_of_bridge():
    assert listed("importlinter:contract:sandbox-apart", "forbidden_modules") == bridge_modules()


def test_no_part_of_bridge_may_import_the_sandbox():
    assert listed("importlinter:contract:bridge-without-sandbox", "source_modules") == bridge_modules()
