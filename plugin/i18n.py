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
    """Return the user interface language QGIS runs with, e.g. ``"de"`` or ``"pt_BR"``.

    In QGIS's order: the translation QGIS loaded (``qgis --lang de``, or the language of
    Settings > Options > General when "Override system locale" is on: both end up in
    ``QgsApplication.translation()``), then that setting itself (qgis_process, where no
    translation is loaded), then ``QgsApplication.locale()``, then the system's. ``"C"``
    (QGIS's "no translation") gives ``"en"``.
    """
    locale = ""
    app = QgsApplication.instance()
    try:
        locale = str(app.translation() or "") if app is not None else ""
    except (AttributeError, RuntimeError, TypeError):
        locale = ""
    if not locale:
        override = QgsSettings().value("locale/overrideFlag", False)
        if str(override).lower() in ("true", "1"):
            locale = str(QgsSettings().value("locale/userLocale", "") or "")
    if not locale:
        try:
            locale = QgsApplication.locale()
        except (AttributeError, RuntimeError):
            locale = ""
    if not locale:
        locale = QLocale.system().name()
    return "en" if locale == "C" else locale


def backend_message(message: str) -> str:
    """Translate a status word or fixed progress message of the backend.

    The backend speaks English on the wire (``docs/backend_api.md``); its job states and
    fixed messages are translated here, anything else (numbers, file names) is shown as is.

    Args:
        message: A job ``message`` or ``status`` as the backend sent it.
    """
    return _backend_messages().get(message.strip(), message)


def _backend_messages() -> dict[str, str]:
    # Built on each call: the translator may be installed after import.
    return {
        "Queued": tr("Queued"),
        "Running": tr("Running"),
        "Done": tr("Done"),
        "Cancelled": tr("Cancelled"),
        "Cancelling": tr("Cancelling"),
        "Failed": tr("Failed"),
        "queued": tr("queued"),
        "running": tr("running"),
        "succeeded": tr("succeeded"),
        "failed": tr("failed"),
        "cancelled": tr("cancelled"),
        "Building the centerline graph": tr("Building the centerline graph"),
        "Caching the embedding": tr("Caching the embedding"),
        "Computing the starting road probability": tr("Computing the starting road probability"),
        "Merging polygons across tile borders": tr("Merging polygons across tile borders"),
        "Publishing the outputs": tr("Publishing the outputs"),
        "Reading and noding both layers": tr("Reading and noding both layers"),
        "Reading the annotations": tr("Reading the annotations"),
        "Reading the boxes": tr("Reading the boxes"),
        "Reading the initial probability raster": tr("Reading the initial probability raster"),
        "Reading the predictions": tr("Reading the predictions"),
        "Reading the window": tr("Reading the window"),
        "Stitching blocks into one graph": tr("Stitching blocks into one graph"),
        "Writing the GeoPackage": tr("Writing the GeoPackage"),
        "Writing the outputs": tr("Writing the outputs"),
    }


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
