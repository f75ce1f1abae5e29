"""Generate the plugin icons (``icon.svg`` and ``icon.png``) next to this script.

The SVG is the source; the 64 x 64 PNG is rendered from it with Qt's SVG renderer, so the
two never drift apart. Run with the Python that QGIS uses::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 plugin/icons/make_icons.py

Not imported by the plugin.
"""

from __future__ import annotations

import sys
from pathlib import Path

# A road network (grey band with a dashed centerline) over green terrain, and a yellow
# vector line with vertices on top: "roads out of imagery, as vectors".
ICON_SVG = """<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <rect x="2" y="2" width="60" height="60" rx="8" ry="8" fill="#5b8c4a" stroke="#2f4f27"
        stroke-width="2"/>
  <path d="M 2 46 C 20 44, 26 30, 36 24 S 54 12, 62 12" fill="none" stroke="#6e6e6e"
        stroke-width="12"/>
  <path d="M 24 62 C 26 50, 30 40, 36 24" fill="none" stroke="#6e6e6e" stroke-width="9"/>
  <path d="M 2 46 C 20 44, 26 30, 36 24 S 54 12, 62 12" fill="none" stroke="#ffffff"
        stroke-width="1.5" stroke-dasharray="4 3"/>
  <polyline points="8,45 22,40 36,24 50,15 58,13" fill="none" stroke="#ffd700"
            stroke-width="2.5" stroke-linejoin="round"/>
  <g fill="#ffd700" stroke="#7a5c00" stroke-width="1">
    <circle cx="8" cy="45" r="3"/>
    <circle cx="22" cy="40" r="3"/>
    <circle cx="36" cy="24" r="3.5"/>
    <circle cx="50" cy="15" r="3"/>
    <circle cx="58" cy="13" r="3"/>
  </g>
</svg>
"""

ICON_SIZE_PX = 64


def main() -> int:
    """Write ``icon.svg`` and render ``icon.png`` from it.

    Returns:
        Process exit status (0 on success).
    """
    from qgis.PyQt.QtCore import QByteArray, Qt
    from qgis.PyQt.QtGui import QGuiApplication, QImage, QPainter
    from qgis.PyQt.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(sys.argv)
    here = Path(__file__).resolve().parent
    (here / "icon.svg").write_text(ICON_SVG, encoding="utf-8")

    renderer = QSvgRenderer(QByteArray(ICON_SVG.encode("utf-8")))
    image = QImage(ICON_SIZE_PX, ICON_SIZE_PX, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    ok = image.save(str(here / "icon.png"), "PNG")
    del app
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
