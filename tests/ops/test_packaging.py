"""What ships: the licence everywhere it is declared, and an image built the way the
README says (there is no Docker engine here to build it: see the README's Docker part)."""

import json
import re
import tomllib

from tests.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def test_one_licence_declared_everywhere() -> None:
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert (project["license"], project["license-files"]) == ("MIT", ["LICENSE"])
    package = json.loads((ROOT / "clients" / "typescript" / "package.json").read_text())
    assert package["license"] == "MIT"
    # No code carried over from a GPL project: the paragraphs of WordPress posts are ours.
    for path in (ROOT / "app").rglob("*.py"):
        text = path.read_text()
        assert "GPL" not in text and "formatting.php" not in text, path


def test_the_image_installs_its_dependencies_before_its_code() -> None:
    steps = [line.split()[0] for line in DOCKERFILE.splitlines() if re.match(r"[A-Z]+ ", line)]
    assert steps.count("FROM") == 2  # a build stage, and a runtime stage without pip
    copies = [line for line in DOCKERFILE.splitlines() if line.startswith("COPY")]
    assert copies[0] == "COPY pyproject.toml ./"
    first_install = DOCKERFILE.index("install --requirement")
    assert first_install < DOCKERFILE.index("COPY app")
    assert "uninstall --yes --quiet pip setuptools wheel" in DOCKERFILE
    assert "uninstall --yes pymorphy3-dicts-ru" in DOCKERFILE


def test_the_image_takes_port_workers_and_demo_from_settings() -> None:
    cmd = next(line for line in DOCKERFILE.splitlines() if line.startswith("CMD"))
    assert cmd == 'CMD ["dopys", "serve"]'  # HOST, PORT, WORKERS, DOPYS_DEMO: ENV
    assert "HOST=0.0.0.0 PORT=8000 WORKERS=2 DOPYS_DEMO=false" in DOCKERFILE
    health = DOCKERFILE[DOCKERFILE.index("HEALTHCHECK") :].split("\n# ")[0]
    assert "os.environ['PORT']" in health and "8000" not in health
    assert "--workers" not in DOCKERFILE


def test_the_build_context_leaves_the_checkout_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignored[1] == "**"  # everything, then only what the image copies
    kept = {line[1:].rstrip("/") for line in ignored if line.startswith("!")}
    copied = {
        line.split()[1].rstrip("/")
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from" not in line
    }
    assert copied <= kept
