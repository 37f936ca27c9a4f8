"""Where the templates and static files are: inside the installed package, or at the top of a checkout.

They live at the top of the repository (templates/, static/); a wheel carries them as app/templates and
app/static (pyproject.toml maps them there), so a plain `pip install` works without the source tree.
"""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """The directory `templates` or `static`: the packaged copy if this is a wheel install, else the checkout's."""
    packaged = _PACKAGE / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / name
