"""The pip configuration of the building machine, for an image build that must not keep it.

`deploy/build-image.sh` runs this with the machine's Python before building the image. It reads
what pip on this machine would use (config files and PIP_* variables, via `pip config list`),
writes it to one pip.conf handed to the build as a secret (never a layer of the image), and
prints the builder options that make it usable inside the build container:

- every local path the configuration names (find-links folders, file:// indexes, the constraint
  file, the CA bundle) is bind-mounted read-only at the same path, so that index pages that link
  to absolute file:// URLs still resolve;
- every index host is given the address this machine resolves it to (`--add-host`), since the
  build container has the machine's DNS servers but not its /etc/hosts.

Usage: python3 deploy/pip_build_config.py OUT_DIR buildah|docker
Prints one builder option per line; writes OUT_DIR/pip.conf.
"""

import ast
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

# Options whose values name files or folders, and which of them may hold several.
PATH_OPTIONS = {"find-links", "constraint", "requirement", "cert", "client-cert"}
URL_OPTIONS = {"index-url", "extra-index-url", "find-links"}
LIST_OPTIONS = {"find-links", "extra-index-url", "constraint", "requirement", "trusted-host"}
DEFAULT_INDEX = "https://pypi.org/simple"
PYPI_FILES_HOST = "files.pythonhosted.org"  # where pypi.org's simple pages link the files
SECTIONS = {":env:", "global", "install"}  # what `pip install` reads, in increasing precedence


def machine_config() -> dict[str, str]:
    """The options `pip install` uses here, later sources winning (files, then PIP_* variables)."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    from_files: dict[str, str] = {}
    from_environment: dict[str, str] = {}
    for line in listing.splitlines():
        name, _, value = line.partition("=")
        section, _, option = name.rpartition(".")
        if section not in SECTIONS or not option:
            continue
        target = from_environment if section == ":env:" else from_files
        target[option] = ast.literal_eval(value)
    return from_files | from_environment


def local_paths(config: dict[str, str]) -> set[Path]:
    """Files and folders on this machine that the configuration points pip at."""
    paths = set()
    for option, value in config.items():
        if option not in PATH_OPTIONS | URL_OPTIONS:
            continue
        for item in value.split():
            if item.startswith("file://"):
                item = urlsplit(item).path
            if not item.startswith("/") or not Path(item).exists():
                continue
            # A file:// index's pages link to files beside it (../../files/...): mount its parent.
            is_index = option in {"index-url", "extra-index-url"}
            paths.add(Path(item).parent if is_index else Path(item))
    return paths


def index_hosts(config: dict[str, str]) -> set[str]:
    """Host names of the package indexes pip will reach over the network."""
    urls = [config.get("index-url", DEFAULT_INDEX), *config.get("extra-index-url", "").split()]
    urls += [item for item in config.get("find-links", "").split() if "://" in item]
    hosts = {urlsplit(url).hostname for url in urls if url.startswith(("http://", "https://"))}
    if "pypi.org" in hosts:
        hosts.add(PYPI_FILES_HOST)
    return {host for host in hosts if host}


def resolved(host: str) -> str | None:
    try:
        return socket.getaddrinfo(host, 443, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except OSError:
        return None  # the build will say it cannot reach the index


def write_pip_conf(config: dict[str, str], path: Path) -> None:
    lines = ["[global]"]
    for option, value in sorted(config.items()):
        if option in LIST_OPTIONS:
            value = "\n    ".join(["", *value.split()])
        lines.append(f"{option} = {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def main() -> None:
    out_dir, builder = Path(sys.argv[1]), sys.argv[2]
    config = machine_config()
    pip_conf = out_dir / "pip.conf"
    write_pip_conf(config, pip_conf)
    options = [f"--secret=id=pip.conf,src={pip_conf}"]
    for host in sorted(index_hosts(config)):
        if address := resolved(host):
            options.append(f"--add-host={host}:{address}")
    paths = sorted(local_paths(config))
    if paths and builder == "docker":
        # `docker build` has no bind mounts from the host: such indexes must be served over HTTP.
        names = ", ".join(map(str, paths))
        print(f"warning: docker build cannot reach {names}; serve them over HTTP", file=sys.stderr)
    elif paths:
        options += [f"--volume={path}:{path}:ro" for path in paths]
    print("\n".join(options))


if __name__ == "__main__":
    main()
