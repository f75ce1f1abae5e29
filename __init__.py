"""RoadExtract QGIS plugin entry point.

QGIS imports this package for every enabled plugin at start-up, so nothing happens at import
time: the plugin class (and with it qgis.gui, the translator and the Processing provider) is
imported only when QGIS calls :func:`classFactory`.
"""


def classFactory(iface):  # noqa: N802 - name fixed by the QGIS plugin API
    """Create the plugin instance (called by QGIS, also by qgis_process with iface=None).

    Args:
        iface: The ``qgis.gui.QgisInterface`` of the running QGIS, or None under
            qgis_process.

    Returns:
        The RoadExtract plugin object.
    """
    from .gui.main import RoadExtractPlugin

    return RoadExtractPlugin(iface)
