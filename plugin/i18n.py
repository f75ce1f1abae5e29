"""Translation helpers.

Two kinds of ``tr``, both found by ``pylupdate5`` (see ``i18n/roadextract.pro``):

- ``self.tr("...")`` inside Processing algorithm classes translates in the context of the
  class (QGIS core style; pylupdate5 files the string under the class name);
- the module-level :func:`tr` below, used everywhere else (plugin GUI, shared algorithm
  code, error messages of the backend lifecycle), translates in pylupdate5's ``@default``
  context, which is what it assigns to a bare ``tr("...")`` call.
"""

from __future__ import annotations

from pathlib import Path

from qgis.core import QgsApplication, QgsSettings
from qgis.PyQt.QtCore import QCoreApplication, QLocale, QTranslator

# pylupdate5 files bare ``tr("...")`` calls under this context name.
DEFAULT_CONTEXT = "@default"
I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"


def tr(text: str) -> str:
    """Translate ``text`` (a literal, for pylupdate5) in the plugin's default context.

    Args:
        text: English source text; use ``{name}`` placeholders and ``.format()`` after
            translating, never an f-string, so the source text stays constant.

    Returns:
        The translation for the installed locale, or ``text`` itself.
    """
    return QCoreApplication.translate(DEFAULT_CONTEXT, text)


def qgis_locale() -> str:
    """Return the user interface locale QGIS runs with, e.g. ``"de"`` or ``"pt_BR"``."""
    locale = ""
    try:
        locale = QgsApplication.locale()
    except (AttributeError, RuntimeError):
        locale = ""
    if not locale:
        override = QgsSettings().value("locale/overrideFlag", False)
        if str(override).lower() in ("true", "1"):
            locale = str(QgsSettings().value("locale/userLocale", "") or "")
    if not locale:
        locale = QLocale.system().name()
    return locale


def qm_path_for_locale(locale: str, i18n_dir: Path = I18N_DIR) -> Path | None:
    """Find the compiled translation for ``locale``: ``roadextract_<locale>.qm``.

    Tries the full name (``pt_BR``) first, then the language alone (``pt``).

    Args:
        locale: Locale name such as ``de``, ``de_DE`` or ``pt_BR``.
        i18n_dir: Folder holding the ``.qm`` files.

    Returns:
        Path of an existing ``.qm`` file, or None.
    """
    candidates = [locale, locale.split("_")[0]] if locale else []
    for name in candidates:
        path = i18n_dir / f"roadextract_{name}.qm"
        if path.is_file():
            return path
    return None


def install_translator(locale: str | None = None, i18n_dir: Path = I18N_DIR) -> QTranslator | None:
    """Install a QTranslator for the QGIS locale when a matching ``.qm`` exists.

    Args:
        locale: Locale to use; None means the one QGIS runs with.
        i18n_dir: Folder holding the ``.qm`` files.

    Returns:
        The installed translator (keep a reference and pass it to
        :func:`remove_translator` on unload), or None when there is no translation.
    """
    qm_path = qm_path_for_locale(locale if locale is not None else qgis_locale(), i18n_dir)
    if qm_path is None:
        return None
    translator = QTranslator()
    if not translator.load(str(qm_path)):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator: QTranslator | None) -> None:
    """Undo :func:`install_translator` (no-op for None)."""
    if translator is not None:
        QCoreApplication.removeTranslator(translator)
