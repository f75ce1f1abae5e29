<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>@default</name>
    <message>
        <location filename="../gui/main.py" line="41"/>
        <source>Starting the RoadExtract backend</source>
        <translation>RoadExtract-Backend wird gestartet</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="471"/>
        <source>Start of the RoadExtract backend was cancelled.</source>
        <translation>Der Start des RoadExtract-Backends wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="123"/>
        <source>RoadExtract</source>
        <translation>RoadExtract</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="135"/>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="135"/>
        <source>Backend Python, device, model folder and port of RoadExtract</source>
        <translation>Backend-Python, Rechengerät, Modellordner und Port von RoadExtract</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="142"/>
        <source>Start backend</source>
        <translation>Backend starten</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="142"/>
        <source>Start the RoadExtract backend, or connect to one that is running</source>
        <translation>Das RoadExtract-Backend starten oder mit einem laufenden verbinden</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="149"/>
        <source>Stop backend</source>
        <translation>Backend beenden</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="149"/>
        <source>Stop the backend this QGIS started</source>
        <translation>Das von diesem QGIS gestartete Backend beenden</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="156"/>
        <source>Backend status</source>
        <translation>Backend-Status</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="156"/>
        <source>Show whether a backend runs, and on which device (CPU or GPU)</source>
        <translation>Anzeigen, ob ein Backend läuft und auf welchem Gerät (CPU oder GPU)</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="329"/>
        <source>Settings saved. Stop and start the backend to apply them.</source>
        <translation>Einstellungen gespeichert. Beenden und starten Sie das Backend, damit sie wirksam werden.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="340"/>
        <source>Starting the RoadExtract backend…</source>
        <translation>RoadExtract-Backend wird gestartet…</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="346"/>
        <source>Backend ready on {device}.</source>
        <translation>Backend bereit auf {device}.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="357"/>
        <source>The RoadExtract backend was stopped.</source>
        <translation>Das RoadExtract-Backend wurde beendet.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="360"/>
        <source>The running backend was not started by this QGIS (it was started with `make serve` or by another QGIS); stop it where it was started.</source>
        <translation>Das laufende Backend wurde nicht von diesem QGIS gestartet (sondern mit `make serve` oder von einem anderen QGIS); beenden Sie es dort, wo es gestartet wurde.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="368"/>
        <source>No RoadExtract backend is running.</source>
        <translation>Es läuft kein RoadExtract-Backend.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="381"/>
        <source>No RoadExtract backend is running. Start one with Raster &gt; RoadExtract &gt; Start backend, or with `make serve` in the plugin folder.

Backend Python: {python}
State folder: {state_dir}</source>
        <translation>Es läuft kein RoadExtract-Backend. Starten Sie eines mit Raster &gt; RoadExtract &gt; Backend starten oder mit `make serve` im Plugin-Ordner.

Backend-Python: {python}
Statusordner: {state_dir}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="391"/>
        <source>Backend: {url} (version {version})</source>
        <translation>Backend: {url} (Version {version})</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="392"/>
        <source>Device: {device}</source>
        <translation>Gerät: {device}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="393"/>
        <source>PyTorch: {version}</source>
        <translation>PyTorch: {version}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="393"/>
        <source>not installed</source>
        <translation>nicht installiert</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="394"/>
        <source>Started by: {who}</source>
        <translation>Gestartet von: {who}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="394"/>
        <source>this QGIS</source>
        <translation>diesem QGIS</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="394"/>
        <source>someone else (make serve)</source>
        <translation>jemand anderem (make serve)</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="397"/>
        <source>State file: {path}</source>
        <translation>Statusdatei: {path}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="400"/>
        <source>Log: {path}</source>
        <translation>Protokoll: {path}</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="413"/>
        <source>RoadExtract backend</source>
        <translation>RoadExtract-Backend</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="35"/>
        <source>RoadExtract settings</source>
        <translation>RoadExtract-Einstellungen</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="40"/>
        <source>Python of the backend environment</source>
        <translation>Python der Backend-Umgebung</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="73"/>
        <source>Default: {path}</source>
        <translation>Standard: {path}</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="46"/>
        <source>Automatic (CUDA, then MPS, then CPU)</source>
        <translation>Automatisch (CUDA, dann MPS, dann CPU)</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="46"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="621"/>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="46"/>
        <source>MPS (Apple GPU)</source>
        <translation>MPS (Apple-GPU)</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="56"/>
        <source>Folder with model checkpoints</source>
        <translation>Ordner mit Modell-Checkpoints</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="57"/>
        <source>Default: the backend&apos;s model folder</source>
        <translation>Standard: der Modellordner des Backends</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="63"/>
        <source>Automatic (a free port)</source>
        <translation>Automatisch (ein freier Port)</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="68"/>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="72"/>
        <source>Folder of the backend state file</source>
        <translation>Ordner der Backend-Statusdatei</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="82"/>
        <source>Backend Python</source>
        <translation>Backend-Python</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="177"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="84"/>
        <source>Model folder</source>
        <translation>Modellordner</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="85"/>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="86"/>
        <source>Start-up timeout</source>
        <translation>Zeitlimit für den Start</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="87"/>
        <source>State folder</source>
        <translation>Statusordner</translation>
    </message>
    <message>
        <location filename="../gui/settings_dialog.py" line="89"/>
        <source>Create the backend environment with Raster &gt; RoadExtract &gt; Set up backend (or `make install` in a checkout), or point Backend Python to any Python that has the backend dependencies. Changes apply the next time the plugin starts a backend; a backend that is already running (also one started by hand with `make serve`) is used as is.</source>
        <translation>Legen Sie die Backend-Umgebung mit Raster &gt; RoadExtract &gt; Backend einrichten an (oder mit `make install` in einem Checkout), oder wählen Sie als Backend-Python ein beliebiges Python mit den Abhängigkeiten des Backends. Änderungen gelten beim nächsten Start eines Backends durch das Plugin; ein bereits laufendes Backend (auch eines, das mit `make serve` von Hand gestartet wurde) wird unverändert verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="373"/>
        <source>The backend sources are missing from the plugin folder ({path}). Reinstall the RoadExtract plugin.</source>
        <translation>Die Quelltexte des Backends fehlen im Plugin-Ordner ({path}). Installieren Sie das RoadExtract-Plugin neu.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="383"/>
        <source>Cannot create the backend state folder {path}: {error}. Choose another state folder in Raster &gt; RoadExtract &gt; Settings.</source>
        <translation>Der Statusordner des Backends {path} kann nicht angelegt werden: {error}. Wählen Sie unter Raster &gt; RoadExtract &gt; Einstellungen einen anderen Statusordner.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="393"/>
        <source>Starting the RoadExtract backend: {command}</source>
        <translation>RoadExtract-Backend wird gestartet: {command}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="415"/>
        <source>Cannot run the backend Python {python}: {error}. Run `make install` in the plugin folder ({root}) or set the backend Python in Raster &gt; RoadExtract &gt; Settings.</source>
        <translation>Das Backend-Python {python} kann nicht ausgeführt werden: {error}. Führen Sie `make install` im Plugin-Ordner ({root}) aus oder legen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen fest.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="450"/>
        <source>The RoadExtract backend stopped during start-up (exit code {code}). If a module is missing, run `make install` in the plugin folder ({root}) or set the backend Python in Raster &gt; RoadExtract &gt; Settings. Last lines of its log ({log}):
{tail}</source>
        <translation>Das RoadExtract-Backend hat sich beim Start beendet (Exit-Code {code}). Fehlt ein Modul, führen Sie `make install` im Plugin-Ordner ({root}) aus oder legen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen fest. Letzte Zeilen seines Protokolls ({log}):
{tail}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="476"/>
        <source>The RoadExtract backend did not answer within {timeout_s:.0f} s and was stopped. Raise the start-up timeout in Raster &gt; RoadExtract &gt; Settings, or start it by hand with `make serve` and try again. Last lines of its log ({log}):
{tail}</source>
        <translation>Das RoadExtract-Backend hat nicht innerhalb von {timeout_s:.0f} s geantwortet und wurde beendet. Erhöhen Sie das Zeitlimit für den Start unter Raster &gt; RoadExtract &gt; Einstellungen, oder starten Sie es von Hand mit `make serve` und versuchen Sie es erneut. Letzte Zeilen seines Protokolls ({log}):
{tail}</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="82"/>
        <source>, {free:.0f} of {total:.0f} MiB GPU memory free</source>
        <translation>, {free:.0f} von {total:.0f} MiB GPU-Speicher frei</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="198"/>
        <source>The RoadExtract backend at {url} does not answer ({error}).</source>
        <translation>Das RoadExtract-Backend unter {url} antwortet nicht ({error}).</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="208"/>
        <source>The RoadExtract backend sent an answer that is not JSON ({path}).</source>
        <translation>Das RoadExtract-Backend hat eine Antwort gesendet, die kein JSON ist ({path}).</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="352"/>
        <source>HTTP {status} from the RoadExtract backend: {text}</source>
        <translation>HTTP {status} vom RoadExtract-Backend: {text}</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="101"/>
        <source>The pixel size must be positive, got {gsd}.</source>
        <translation>Die Pixelgröße muss positiv sein, erhalten: {gsd}.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="107"/>
        <source>Layer {name} has no native resolution (web service). Give a pixel size, or save the layer as a GeoTIFF first (right click &gt; Export &gt; Save As).</source>
        <translation>Der Layer {name} hat keine eigene Auflösung (Webdienst). Geben Sie eine Pixelgröße an, oder speichern Sie den Layer zuerst als GeoTIFF (Rechtsklick &gt; Exportieren &gt; Speichern als…).</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="116"/>
        <source>Export of layer {name} would be {width} x {height} pixels; use a smaller extent or a larger pixel size (at most {limit} pixels per side).</source>
        <translation>Der Export des Layers {name} hätte {width} x {height} Pixel; verwenden Sie eine kleinere Ausdehnung oder eine größere Pixelgröße (höchstens {limit} Pixel je Seite).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="123"/>
        <source>The raster layer is not valid.</source>
        <translation>Der Rasterlayer ist ungültig.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="165"/>
        <source>Cannot read layer {name}.</source>
        <translation>Der Layer {name} kann nicht gelesen werden.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="385"/>
        <source>The export of layer {name} was cancelled.</source>
        <translation>Der Export des Layers {name} wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="187"/>
        <source>Cannot export layer {name} to {path} (error {code}).</source>
        <translation>Der Layer {name} kann nicht nach {path} exportiert werden (Fehler {code}).</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="256"/>
        <source>Layer {layer} not found in {path}.</source>
        <translation>Layer {layer} nicht in {path} gefunden.</translation>
    </message>
    <message>
        <location filename="../processing_provider/provider.py" line="60"/>
        <source>RoadExtract: roads and objects from aerial imagery</source>
        <translation>RoadExtract: Straßen und Objekte aus Luftbildern</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="750"/>
        <source>The RoadExtract backend refused the job: {detail}</source>
        <translation>Das RoadExtract-Backend hat den Auftrag abgelehnt: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="752"/>
        <source>Backend job {job_id} ({kind}) created.</source>
        <translation>Backend-Auftrag {job_id} ({kind}) angelegt.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="829"/>
        <source>Cancelled; nothing was written.</source>
        <translation>Abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="795"/>
        <source>The backend job was cancelled; nothing was written.</source>
        <translation>Der Backend-Auftrag wurde abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="799"/>
        <source>The backend job failed: {error}</source>
        <translation>Der Backend-Auftrag ist fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="774"/>
        <source>The RoadExtract backend reported an error: {detail}</source>
        <translation>Das RoadExtract-Backend hat einen Fehler gemeldet: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="770"/>
        <source>Cancelling backend job {job_id} ...</source>
        <translation>Backend-Auftrag {job_id} wird abgebrochen …</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="787"/>
        <source>Could not confirm the cancellation: {detail}</source>
        <translation>Der Abbruch konnte nicht bestätigt werden: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="888"/>
        <source>The backend wrote {layer} in {crs}, not in the layer CRS {layer_crs}.</source>
        <translation>Das Backend hat {layer} in {crs} geschrieben, nicht im KBS des Layers {layer_crs}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="1016"/>
        <source>{detail} Start it again (Raster &gt; RoadExtract &gt; Start backend, or `make serve` in the plugin folder) and run the algorithm again.</source>
        <translation>{detail} Starten Sie es erneut (Raster &gt; RoadExtract &gt; Backend starten oder `make serve` im Plugin-Ordner) und führen Sie den Algorithmus noch einmal aus.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="403"/>
        <source>Warning: the backend is version {backend}, the plugin {plugin}; stop the backend and start it from the plugin to use the matching one.</source>
        <translation>Warnung: Das Backend hat die Version {backend}, das Plugin {plugin}; beenden Sie das Backend und starten Sie es aus dem Plugin, um das passende zu verwenden.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="395"/>
        <source>Cannot export layer {name} to {path}: {error}</source>
        <translation>Der Layer {name} kann nicht nach {path} exportiert werden: {error}</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="477"/>
        <source>The vector layer is not valid.</source>
        <translation>Der Vektorlayer ist ungültig.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="526"/>
        <source>Input raster {path} does not exist.</source>
        <translation>Das Eingaberaster {path} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="527"/>
        <source>{path} is not a raster that QGIS (GDAL) can open.</source>
        <translation>{path} ist kein Raster, das QGIS (GDAL) öffnen kann.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="542"/>
        <source>Raster {name} has no coordinate reference system. Assign one (Raster &gt; Projections &gt; Assign Projection, or the layer properties) and run again.</source>
        <translation>Das Raster {name} hat kein Koordinatenbezugssystem. Weisen Sie eines zu (Raster &gt; Projektionen &gt; Projektion zuweisen oder in den Layereigenschaften) und starten Sie erneut.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="559"/>
        <source>Band {band} does not exist; raster {name} has {count} band(s).</source>
        <translation>Kanal {band} existiert nicht; das Raster {name} hat {count} Kanal/Kanäle.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="588"/>
        <source>Layer {name} is not a local file; exported it to {path}.</source>
        <translation>Der Layer {name} ist keine lokale Datei; er wurde nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="285"/>
        <source>Roads</source>
        <translation>Straßen</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="163"/>
        <source>Interactive extraction…</source>
        <translation>Interaktive Extraktion…</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="168"/>
        <source>Extract roads or objects by clicking and scribbling on the map; refine over rounds, then accept into a layer</source>
        <translation>Straßen oder Objekte durch Klicken und Zeichnen auf der Karte extrahieren; über mehrere Runden verfeinern und dann in einen Layer übernehmen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="656"/>
        <source>Checkpoint {path} does not exist.</source>
        <translation>Der Checkpoint {path} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="969"/>
        <source>Objects</source>
        <translation>Objekte</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="423"/>
        <source>The layer has no field {field}.</source>
        <translation>Der Layer hat kein Feld {field}.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="148"/>
        <source>RoadExtract: encoding the view</source>
        <translation>RoadExtract: Ansicht wird kodiert</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="187"/>
        <source>The encoding failed.</source>
        <translation>Die Kodierung ist fehlgeschlagen.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="195"/>
        <source>The backend answered the encoding with an unexpected summary ({error}).</source>
        <translation>Das Backend hat auf die Kodierung mit einer unerwarteten Zusammenfassung geantwortet ({error}).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="217"/>
        <source>RoadExtract: connecting to the backend</source>
        <translation>RoadExtract: Verbindung zum Backend wird hergestellt</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="368"/>
        <source>Layer {name} is not a local raster file; save it as a GeoTIFF first.</source>
        <translation>Der Layer {name} ist keine lokale Rasterdatei; speichern Sie ihn zuerst als GeoTIFF.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="418"/>
        <source>The RoadExtract backend did not answer.</source>
        <translation>Das RoadExtract-Backend hat nicht geantwortet.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="633"/>
        <source>Choose a raster layer to extract from first.</source>
        <translation>Wählen Sie zuerst einen Rasterlayer, aus dem extrahiert werden soll.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="466"/>
        <source>The view cannot be exported from {name}: {error}</source>
        <translation>Die Ansicht kann nicht aus {name} exportiert werden: {error}</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="552"/>
        <source>Boxes are for the SAM engine; use clicks and scribbles for roads.</source>
        <translation>Boxen gibt es nur im SAM-Modus; verwenden Sie für Straßen Klicks und Striche.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="555"/>
        <source>The prompt lies outside the raster.</source>
        <translation>Der Prompt liegt außerhalb des Rasters.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="559"/>
        <source>The prompt lies outside the encoded area: accept or clear the object first, then prompt there (the view is encoded again).</source>
        <translation>Der Prompt liegt außerhalb des kodierten Bereichs: Übernehmen oder leeren Sie zuerst das Objekt und setzen Sie dann dort Prompts (die Ansicht wird neu kodiert).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="640"/>
        <source>The visible extent does not overlap the raster.</source>
        <translation>Die sichtbare Ausdehnung überschneidet sich nicht mit dem Raster.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="660"/>
        <source>The view of this layer cannot be exported.</source>
        <translation>Die Ansicht dieses Layers kann nicht exportiert werden.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="694"/>
        <source>Encoding failed: {error}</source>
        <translation>Kodierung fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="714"/>
        <source>Prompts outside the encoded area were dropped.</source>
        <translation>Prompts außerhalb des kodierten Bereichs wurden verworfen.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="784"/>
        <source>The backend refused the prompt: {error}</source>
        <translation>Das Backend hat den Prompt abgelehnt: {error}</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="795"/>
        <source>Unexpected answer of the backend: {error}</source>
        <translation>Unerwartete Antwort des Backends: {error}</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="863"/>
        <source>There is no result to accept yet: add a prompt and wait for the preview.</source>
        <translation>Es gibt noch kein Ergebnis zum Übernehmen: Setzen Sie einen Prompt und warten Sie auf die Vorschau.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/controller.py" line="868"/>
        <source>The result is empty: add a positive prompt on the object.</source>
        <translation>Das Ergebnis ist leer: Setzen Sie einen positiven Prompt auf das Objekt.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="75"/>
        <source>+ point at ({x:.1f}, {y:.1f}) px</source>
        <translation>+ Punkt bei ({x:.1f}, {y:.1f}) px</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="75"/>
        <source>- point at ({x:.1f}, {y:.1f}) px</source>
        <translation>- Punkt bei ({x:.1f}, {y:.1f}) px</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="82"/>
        <source>+ scribble, {n} vertices</source>
        <translation>+ Strich, {n} Stützpunkte</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="82"/>
        <source>- scribble, {n} vertices</source>
        <translation>- Strich, {n} Stützpunkte</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="85"/>
        <source>box ({x0:.0f}, {y0:.0f}) to ({x1:.0f}, {y1:.0f}) px</source>
        <translation>Box ({x0:.0f}, {y0:.0f}) bis ({x1:.0f}, {y1:.0f}) px</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="109"/>
        <source>RoadExtract interactive extraction</source>
        <translation>RoadExtract – interaktive Extraktion</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="131"/>
        <source>Image and engine</source>
        <translation>Bild und Modus</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="137"/>
        <source>Raster layer</source>
        <translation>Rasterlayer</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="139"/>
        <source>Roads (RoadGIE-style road model)</source>
        <translation>Straßen (Straßenmodell nach Art von RoadGIE)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="140"/>
        <source>Any object (SAM)</source>
        <translation>Beliebiges Objekt (SAM)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="142"/>
        <source>Engine</source>
        <translation>Modus</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="145"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="150"/>
        <source>Road engine: refine another model&apos;s road probability raster (e.g. the Anchor-SAM output) with clicks instead of starting from nothing</source>
        <translation>Straßenmodus: das Raster mit Straßenwahrscheinlichkeiten eines anderen Modells (z. B. die Ausgabe von Anchor-SAM) mit Klicks verfeinern, statt bei null anzufangen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="157"/>
        <source>Start from</source>
        <translation>Ausgehend von</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="169"/>
        <source>not connected</source>
        <translation>nicht verbunden</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="172"/>
        <source>Connect</source>
        <translation>Verbinden</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="173"/>
        <source>Start or find the backend; read its device and models</source>
        <translation>Das Backend starten oder finden; sein Rechengerät und seine Modelle abfragen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="179"/>
        <source>Encode view</source>
        <translation>Ansicht kodieren</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="180"/>
        <source>Encode the visible extent now; otherwise the first click encodes the view (or a window around the click when the view is too large)</source>
        <translation>Die sichtbare Ausdehnung jetzt kodieren; sonst kodiert der erste Klick die Ansicht (oder ein Fenster um den Klick, wenn die Ansicht zu groß ist)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="190"/>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="201"/>
        <source>Object in progress</source>
        <translation>Aktuelles Objekt</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="203"/>
        <source>Prompt on the map</source>
        <translation>Prompts auf der Karte setzen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="214"/>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="215"/>
        <source>Take back the last prompt (Ctrl+Z)</source>
        <translation>Den letzten Prompt zurücknehmen (Strg+Z)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="217"/>
        <source>Redo</source>
        <translation>Wiederherstellen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="218"/>
        <source>Put back the last undone prompt (Ctrl+Shift+Z)</source>
        <translation>Den zuletzt zurückgenommenen Prompt wiederherstellen (Strg+Umschalt+Z)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="220"/>
        <source>Clear</source>
        <translation>Leeren</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="221"/>
        <source>Drop every prompt of this object (Esc)</source>
        <translation>Alle Prompts dieses Objekts verwerfen (Esc)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="223"/>
        <source>Accept</source>
        <translation>Übernehmen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="224"/>
        <source>Write the result into the target layer (Enter)</source>
        <translation>Das Ergebnis in den Ziellayer schreiben (Eingabetaste)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="232"/>
        <source>Output</source>
        <translation>Ausgabe</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="235"/>
        <source>Written into the field &apos;label&apos; of every accepted object</source>
        <translation>Wird in das Feld „label“ jedes übernommenen Objekts geschrieben</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="236"/>
        <source>Class label</source>
        <translation>Klassenbezeichnung</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="241"/>
        <source> m</source>
        <translation> m</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="244"/>
        <source>Douglas-Peucker simplification of the preview and the accepted geometry, in metres on the ground (0: none), applied in the raster&apos;s CRS</source>
        <translation>Douglas-Peucker-Vereinfachung der Vorschau und der übernommenen Geometrie, in Metern am Boden (0: keine), angewendet im KBS des Rasters</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="251"/>
        <source>Simplify tolerance</source>
        <translation>Vereinfachungstoleranz</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="252"/>
        <source>Centerlines instead of polygons</source>
        <translation>Mittellinien statt Polygonen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="253"/>
        <source>Write the skeleton centerlines of the road mask (road engine) instead of its polygon; the target then is a line layer</source>
        <translation>Die Skelett-Mittellinien der Straßenmaske (Straßenmodus) statt ihres Polygons schreiben; das Ziel ist dann ein Linienlayer</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="263"/>
        <source>Target layer</source>
        <translation>Ziellayer</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="277"/>
        <source>[New scratch layer]</source>
        <translation>[Neuer temporärer Layer]</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="351"/>
        <source>Default ({model})</source>
        <translation>Standard ({model})</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="360"/>
        <source>{model} (not installed)</source>
        <translation>{model} (nicht installiert)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="417"/>
        <source>No prompt yet: click on the object (right click: not the object).</source>
        <translation>Noch kein Prompt: Klicken Sie auf das Objekt (Rechtsklick: nicht das Objekt).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="419"/>
        <source>Rounds: {rounds} (predicting…)</source>
        <translation>Runden: {rounds} (Vorhersage läuft…)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="421"/>
        <source>Rounds: {rounds} · score {score:.2f} · decoded in {ms:.0f} ms</source>
        <translation>Runden: {rounds} · Bewertung {score:.2f} · dekodiert in {ms:.0f} ms</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="431"/>
        <source>Encoding the view…</source>
        <translation>Ansicht wird kodiert…</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="434"/>
        <source>Encoded: {width} x {height} px at ({col}, {row}) with {model}{cached}</source>
        <translation>Kodiert: {width} x {height} px bei ({col}, {row}) mit {model}{cached}</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="434"/>
        <source> (from cache)</source>
        <translation> (aus dem Cache)</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="445"/>
        <source>Not encoded yet.</source>
        <translation>Noch nicht kodiert.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="187"/>
        <source>line</source>
        <translation>Linien</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="187"/>
        <source>polygon</source>
        <translation>Polygon</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="475"/>
        <source>Choose an editable {kind} layer as target, or a new scratch layer.</source>
        <translation>Wählen Sie einen bearbeitbaren {kind}layer als Ziel oder einen neuen temporären Layer.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="490"/>
        <source>Added {count} feature(s) to {layer} (not saved yet: Save Layer Edits).</source>
        <translation>{count} Objekt(e) zu {layer} hinzugefügt (noch nicht gespeichert: Layeränderungen speichern).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="58"/>
        <source>The raster has a degenerate geotransform (zero pixel size).</source>
        <translation>Das Raster hat eine entartete Geotransformation (Pixelgröße null).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="100"/>
        <source>The raster is empty (no pixels or no extent).</source>
        <translation>Das Raster ist leer (keine Pixel oder keine Ausdehnung).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="125"/>
        <source>Raster layer {name} has no CRS; set one (Layer Properties &gt; Source).</source>
        <translation>Der Rasterlayer {name} hat kein KBS; legen Sie eines fest (Layereigenschaften &gt; Quelle).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="132"/>
        <source>Raster layer {name} has no native pixel size (web service).</source>
        <translation>Der Rasterlayer {name} hat keine eigene Pixelgröße (Webdienst).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="261"/>
        <source>The point cannot be transformed into the raster&apos;s CRS ({error}).</source>
        <translation>Der Punkt kann nicht in das KBS des Rasters transformiert werden ({error}).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/frame.py" line="288"/>
        <source>The point cannot be transformed into the canvas CRS ({error}).</source>
        <translation>Der Punkt kann nicht in das KBS des Kartenfensters transformiert werden ({error}).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/geometry.py" line="67"/>
        <source>Unexpected geometry type {kind} from the backend.</source>
        <translation>Unerwarteter Geometrietyp {kind} vom Backend.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/geometry.py" line="134"/>
        <source>The result cannot be transformed into {crs} ({error}).</source>
        <translation>Das Ergebnis kann nicht nach {crs} transformiert werden ({error}).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/map_tool.py" line="318"/>
        <source>Left click: object here; right click: not here; drag: box; Shift+drag: scribble; Ctrl+Shift+drag: negative scribble; Enter: accept; Esc: cancel</source>
        <translation>Linksklick: Objekt hier; Rechtsklick: nicht hier; Ziehen: Box; Umschalt+Ziehen: Strich; Strg+Umschalt+Ziehen: negativer Strich; Eingabetaste: übernehmen; Esc: abbrechen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/map_tool.py" line="322"/>
        <source>Left click: road here; right click: not here; Shift+drag: scribble on the road; Ctrl+Shift+drag: negative scribble; Enter: accept; Esc: cancel</source>
        <translation>Linksklick: Straße hier; Rechtsklick: nicht hier; Umschalt+Ziehen: Strich auf der Straße; Strg+Umschalt+Ziehen: negativer Strich; Eingabetaste: übernehmen; Esc: abbrechen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="113"/>
        <source>Results are written into polygon or line layers only.</source>
        <translation>Ergebnisse werden nur in Polygon- oder Linienlayer geschrieben.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="119"/>
        <source>RoadExtract objects</source>
        <translation>RoadExtract-Objekte</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="119"/>
        <source>RoadExtract centerlines</source>
        <translation>RoadExtract-Mittellinien</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="185"/>
        <source>There is no result to accept yet: add a prompt first.</source>
        <translation>Es gibt noch kein Ergebnis zum Übernehmen: Setzen Sie zuerst einen Prompt.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="187"/>
        <source>Layer {name} cannot take this result: choose an editable {kind} layer.</source>
        <translation>Der Layer {name} kann dieses Ergebnis nicht aufnehmen: Wählen Sie einen bearbeitbaren {kind}layer.</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="200"/>
        <source>Editing cannot be started on layer {name} (read-only?).</source>
        <translation>Die Bearbeitung des Layers {name} kann nicht gestartet werden (schreibgeschützt?).</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="203"/>
        <source>RoadExtract: add extracted object</source>
        <translation>RoadExtract: extrahiertes Objekt hinzufügen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/writer.py" line="218"/>
        <source>Layer {name} refused the new feature.</source>
        <translation>Der Layer {name} hat das neue Objekt abgelehnt.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="638"/>
        <source>Choose 3 bands (red, green, blue) or 1 band (grey), not {count}.</source>
        <translation>Wählen Sie 3 Kanäle (Rot, Grün, Blau) oder 1 Kanal (Grau), nicht {count}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="706"/>
        <source>Unknown model {model}; the backend has: {choices}.</source>
        <translation>Unbekanntes Modell {model}; das Backend hat: {choices}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="712"/>
        <source>The weights of model {model} are not installed. {how_to_install} Or give a checkpoint file of your own.</source>
        <translation>Die Gewichte des Modells {model} sind nicht installiert. {how_to_install} Oder geben Sie eine eigene Checkpoint-Datei an.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="669"/>
        <source>The folder of the report {path} does not exist; create it first.</source>
        <translation>Der Ordner des Berichts {path} existiert nicht; legen Sie ihn zuerst an.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="331"/>
        <source>Stopping a RoadExtract backend (pid {pid}) left behind by a QGIS that is gone.</source>
        <translation>Ein RoadExtract-Backend (PID {pid}), das ein beendetes QGIS zurückgelassen hat, wird gestoppt.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="159"/>
        <source>(not installed)</source>
        <translation>(nicht installiert)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="203"/>
        <source>The style {path} could not be applied: {error}</source>
        <translation>Der Stil {path} konnte nicht angewendet werden: {error}</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="81"/>
        <source>Queued</source>
        <translation>In der Warteschlange</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="82"/>
        <source>Running</source>
        <translation>Läuft</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="83"/>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="84"/>
        <source>Cancelled</source>
        <translation>Abgebrochen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="85"/>
        <source>Cancelling</source>
        <translation>Wird abgebrochen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="86"/>
        <source>Failed</source>
        <translation>Fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="87"/>
        <source>queued</source>
        <translation>wartend</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="88"/>
        <source>running</source>
        <translation>läuft</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="89"/>
        <source>succeeded</source>
        <translation>erfolgreich</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="90"/>
        <source>failed</source>
        <translation>fehlgeschlagen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="91"/>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="92"/>
        <source>Building the centerline graph</source>
        <translation>Mittelliniengraph wird aufgebaut</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="93"/>
        <source>Caching the embedding</source>
        <translation>Einbettung wird zwischengespeichert</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="95"/>
        <source>Merging polygons across tile borders</source>
        <translation>Polygone werden über Kachelgrenzen hinweg zusammengeführt</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="96"/>
        <source>Publishing the outputs</source>
        <translation>Ausgaben werden veröffentlicht</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="97"/>
        <source>Reading and noding both layers</source>
        <translation>Beide Layer werden gelesen und verknotet</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="98"/>
        <source>Reading the annotations</source>
        <translation>Annotationen werden gelesen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="99"/>
        <source>Reading the boxes</source>
        <translation>Boxen werden gelesen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="100"/>
        <source>Reading the initial probability raster</source>
        <translation>Anfängliches Wahrscheinlichkeitsraster wird gelesen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="101"/>
        <source>Reading the predictions</source>
        <translation>Vorhersagen werden gelesen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="102"/>
        <source>Reading the window</source>
        <translation>Fenster wird gelesen</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="103"/>
        <source>Stitching blocks into one graph</source>
        <translation>Blöcke werden zu einem Graphen zusammengesetzt</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="104"/>
        <source>Writing the GeoPackage</source>
        <translation>GeoPackage wird geschrieben</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="105"/>
        <source>Writing the outputs</source>
        <translation>Ausgaben werden geschrieben</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="310"/>
        <source>Set up backend…</source>
        <translation>Backend einrichten…</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="128"/>
        <source>Install, repair or remove the backend environment (PyTorch and friends)</source>
        <translation>Backend-Umgebung (PyTorch und Co.) installieren, reparieren oder entfernen</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="299"/>
        <source>RoadExtract backend not set up</source>
        <translation>RoadExtract-Backend nicht eingerichtet</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="299"/>
        <source>RoadExtract needs its backend environment (PyTorch and the other dependencies, in a folder of its own). Set it up now?</source>
        <translation>RoadExtract braucht seine Backend-Umgebung (PyTorch und die übrigen Abhängigkeiten, in einem eigenen Ordner). Jetzt einrichten?</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="217"/>
        <source>The RoadExtract backend is not set up: its Python was not found ({python}). Set it up with Raster &gt; RoadExtract &gt; Set up backend… (downloads PyTorch and the other dependencies into a folder of their own), or, in a checkout, run `make install` in the plugin folder ({root}); or set the backend Python in Raster &gt; RoadExtract &gt; Settings. A backend started by hand with `make serve` is used as is.</source>
        <translation>Das RoadExtract-Backend ist nicht eingerichtet: sein Python wurde nicht gefunden ({python}). Richten Sie es mit Raster &gt; RoadExtract &gt; Backend einrichten… ein (lädt PyTorch und die übrigen Abhängigkeiten in einen eigenen Ordner), oder führen Sie in einem Checkout `make install` im Plugin-Ordner ({root}) aus; oder wählen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen. Ein mit `make serve` von Hand gestartetes Backend wird unverändert verwendet.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="328"/>
        <source>Dask cluster (local:N or tcp://host:8786; empty: in the backend)</source>
        <translation>Dask-Cluster (local:N oder tcp://host:8786; leer: im Backend)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="333"/>
        <source>Runs the job&apos;s blocks on a Dask cluster: &apos;local:N&apos; starts N worker processes on the backend&apos;s machine, an address uses a running cluster. The backend exchanges data with that cluster: use only clusters you trust.</source>
        <translation>Führt die Blöcke des Auftrags auf einem Dask-Cluster aus: „local:N“ startet N Worker-Prozesse auf dem Rechner des Backends, eine Adresse nutzt einen laufenden Cluster. Das Backend tauscht Daten mit diesem Cluster aus: verwenden Sie nur Cluster, denen Sie vertrauen.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="349"/>
        <source>Additional scenes (mosaicked with the input)</source>
        <translation>Weitere Szenen (mit der Eingabe zu einem Mosaik verbunden)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="355"/>
        <source>More rasters with the input&apos;s bands, processed with it as one mosaic (a GDAL VRT). Scenes in another CRS than the target CRS are reprojected. Where scenes overlap, the input wins, then the scenes in list order.</source>
        <translation>Weitere Raster mit den Bändern der Eingabe, mit ihr als ein Mosaik (ein GDAL-VRT) verarbeitet. Szenen in einem anderen KBS als dem Ziel-KBS werden umprojiziert. Wo sich Szenen überlappen, hat die Eingabe Vorrang, danach die Szenen in der Reihenfolge der Liste.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="363"/>
        <source>Target CRS (empty: the input&apos;s)</source>
        <translation>Ziel-KBS (leer: das der Eingabe)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="368"/>
        <source>CRS the scenes are mosaicked in and the outputs are written in; empty: the CRS of the input raster.</source>
        <translation>KBS, in dem die Szenen zum Mosaik verbunden und die Ergebnisse geschrieben werden; leer: das KBS des Eingaberasters.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="391"/>
        <source>Additional scene {name} is not a raster layer.</source>
        <translation>Die weitere Szene {name} ist kein Rasterlayer.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="397"/>
        <source>Additional scene {name} has no coordinate reference system. Assign one (Raster &gt; Projections &gt; Assign Projection) and run again.</source>
        <translation>Die weitere Szene {name} hat kein Koordinatenbezugssystem. Weisen Sie eines zu (Raster &gt; Projektionen &gt; Projektion zuweisen) und starten Sie erneut.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="404"/>
        <source>Additional scene {name} has {count} band(s), the input {input} has {input_count}: scenes of one run need the same bands.</source>
        <translation>Die weitere Szene {name} hat {count} Band/Bänder, die Eingabe {input} hat {input_count}: Szenen eines Laufs brauchen dieselben Bänder.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="59"/>
        <source>Setting up the RoadExtract backend</source>
        <translation>RoadExtract-Backend wird eingerichtet</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="59"/>
        <source>Removing the RoadExtract backend environment</source>
        <translation>RoadExtract-Backend-Umgebung wird entfernt</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="76"/>
        <source>Removing {path}</source>
        <translation>Entferne {path}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="698"/>
        <source>The backend set-up was cancelled.</source>
        <translation>Die Einrichtung des Backends wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="123"/>
        <source>Set up the RoadExtract backend</source>
        <translation>RoadExtract-Backend einrichten</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="133"/>
        <source>The backend runs in a Python environment of its own (PyTorch, rasterio, FastAPI, …), never in QGIS's Python. It is made here, outside the plugin folder, so plugin updates keep it.</source>
        <translation>Das Backend läuft in einer eigenen Python-Umgebung (PyTorch, rasterio, FastAPI, …), nie im Python von QGIS. Sie wird hier außerhalb des Plugin-Ordners angelegt und bleibt daher bei Plugin-Updates erhalten.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="145"/>
        <source>PyTorch build</source>
        <translation>PyTorch-Variante</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="151"/>
        <source>NVIDIA GPU found: {names}</source>
        <translation>NVIDIA-GPU gefunden: {names}</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="151"/>
        <source>no NVIDIA GPU found</source>
        <translation>keine NVIDIA-GPU gefunden</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="156"/>
        <source>CUDA (NVIDIA GPU; also runs on CPU) — {found}</source>
        <translation>CUDA (NVIDIA-GPU; läuft auch auf der CPU) — {found}</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="159"/>
        <source>CPU only (a much smaller download)</source>
        <translation>Nur CPU (ein viel kleinerer Download)</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="184"/>
        <source>Remove</source>
        <translation>Entfernen</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="185"/>
        <source>Delete the backend environment folder</source>
        <translation>Den Ordner der Backend-Umgebung löschen</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="186"/>
        <source>Cancel set-up</source>
        <translation>Einrichtung abbrechen</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="231"/>
        <source>Folder: {path}</source>
        <translation>Ordner: {path}</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="234"/>
        <source>Not set up yet.</source>
        <translation>Noch nicht eingerichtet.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="236"/>
        <source>Incomplete (a set-up failed, was cancelled or files are missing): Repair.</source>
        <translation>Unvollständig (eine Einrichtung ist fehlgeschlagen, wurde abgebrochen oder Dateien fehlen): Reparieren.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="238"/>
        <source>Ready: PyTorch {variant}, installed with {installer} on {date}.</source>
        <translation>Bereit: PyTorch {variant}, installiert mit {installer} am {date}.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="244"/>
        <source>Made for other requirements than this plugin version&apos;s: Repair.</source>
        <translation>Für andere Anforderungen als die dieser Plugin-Version angelegt: Reparieren.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="252"/>
        <source>Repair</source>
        <translation>Reparieren</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="252"/>
        <source>Install</source>
        <translation>Installieren</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="253"/>
        <source>Make the environment again from scratch</source>
        <translation>Die Umgebung von Grund auf neu anlegen</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="253"/>
        <source>Make the environment</source>
        <translation>Die Umgebung anlegen</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="271"/>
        <source>Step {index} of {count}: {title}</source>
        <translation>Schritt {index} von {count}: {title}</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="282"/>
        <source>Stopping the running backend first.</source>
        <translation>Das laufende Backend wird zuerst beendet.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="316"/>
        <source>Cancelling…</source>
        <translation>Breche ab…</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="329"/>
        <source>Done in {seconds:.0f} s; the environment takes {size:.1f} GB.</source>
        <translation>Fertig nach {seconds:.0f} s; die Umgebung belegt {size:.1f} GB.</translation>
    </message>
    <message>
        <location filename="../gui/setup_dialog.py" line="336"/>
        <source>The backend environment was removed.</source>
        <translation>Die Backend-Umgebung wurde entfernt.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="322"/>
        <source>Cannot read the backend&apos;s requirements ({path}): {error}. Reinstall the plugin.</source>
        <translation>Die Anforderungen des Backends ({path}) sind nicht lesbar: {error}. Installieren Sie das Plugin neu.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="332"/>
        <source>No backend requirements found in {path}. Reinstall the plugin.</source>
        <translation>Keine Backend-Anforderungen in {path} gefunden. Installieren Sie das Plugin neu.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="459"/>
        <source>No Python 3.10 or newer was found to create the backend environment from. Set {variable} to a Python interpreter and try again.</source>
        <translation>Es wurde kein Python 3.10 oder neuer gefunden, aus dem die Backend-Umgebung angelegt werden kann. Setzen Sie {variable} auf einen Python-Interpreter und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="572"/>
        <source>Create the virtual environment</source>
        <translation>Virtuelle Umgebung anlegen</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="574"/>
        <source>Update pip</source>
        <translation>pip aktualisieren</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="576"/>
        <source>Install PyTorch ({variant})</source>
        <translation>PyTorch installieren ({variant})</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="588"/>
        <source>Build and install SAM 2</source>
        <translation>SAM 2 bauen und installieren</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="595"/>
        <source>Install the other backend dependencies</source>
        <translation>Die übrigen Abhängigkeiten des Backends installieren</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="601"/>
        <source>Check the environment</source>
        <translation>Die Umgebung prüfen</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="609"/>
        <source>Create a venv for the uv installer</source>
        <translation>Eine venv für den Installer uv anlegen</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="613"/>
        <source>Install uv</source>
        <translation>uv installieren</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="620"/>
        <source>PyTorch from PyPI (CPU and Apple GPU)</source>
        <translation>PyTorch von PyPI (CPU und Apple-GPU)</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="621"/>
        <source>CPU only</source>
        <translation>nur CPU</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="680"/>
        <source>Cannot run {program}: {error}</source>
        <translation>{program} lässt sich nicht ausführen: {error}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="713"/>
        <source>{title} failed (exit code {code}); see the log above.</source>
        <translation>{title} ist fehlgeschlagen (Exit-Code {code}); siehe das Protokoll oben.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="796"/>
        <source>Python for the environment: {python}</source>
        <translation>Python für die Umgebung: {python}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="799"/>
        <source>uv not found: installing it into {path}</source>
        <translation>uv nicht gefunden: wird in {path} installiert</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="809"/>
        <source>uv could not be installed ({error}); using pip instead.</source>
        <translation>uv ließ sich nicht installieren ({error}); stattdessen wird pip verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="814"/>
        <source>Installer: {installer}</source>
        <translation>Installer: {installer}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="836"/>
        <source>The backend environment is ready ({seconds:.0f} s).</source>
        <translation>Die Backend-Umgebung ist bereit ({seconds:.0f} s).</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="844"/>
        <source>Could not remove {path}: {error}</source>
        <translation>{path} ließ sich nicht entfernen: {error}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_setup.py" line="863"/>
        <source>Cannot remove {path}: {error}. Stop the backend and try again.</source>
        <translation>{path} lässt sich nicht entfernen: {error}. Beenden Sie das Backend und versuchen Sie es erneut.</translation>
    </message>
    <message>
        <location filename="../gui/main.py" line="377"/>
        <source>The backend is not set up yet: Raster &gt; RoadExtract &gt; Set up backend…</source>
        <translation>Das Backend ist noch nicht eingerichtet: Raster &gt; RoadExtract &gt; Backend einrichten…</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="158"/>
        <source>Start from Anchor-SAM&apos;s roads in the view</source>
        <translation>Mit den Straßen von Anchor-SAM in der Ansicht beginnen</translation>
    </message>
    <message>
        <location filename="../gui/interactive/dock.py" line="159"/>
        <source>Road engine: the backend runs the road segmentation model on the encoded view first; clicks then correct its roads, each changing only the part of the mask it touches (instead of a starting raster)</source>
        <translation>Straßen-Engine: Das Backend führt zuerst das Straßensegmentierungsmodell auf der kodierten Ansicht aus; Klicks korrigieren dann dessen Straßen und ändern jeweils nur den Teil der Maske, den sie berühren (statt eines Startrasters)</translation>
    </message>
    <message>
        <location filename="../plugin/i18n.py" line="94"/>
        <source>Computing the starting road probability</source>
        <translation>Berechne die Start-Straßenwahrscheinlichkeit</translation>
    </message>
</context>
<context>
    <name>BoxesToMasks</name>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="64"/>
        <source>Boxes to masks (SAMRS)</source>
        <translation>Boxen zu Masken (SAMRS)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="68"/>
        <source>box,boxes,mask,instance,segment,sam,samrs,segment anything,dota,detection,object</source>
        <translation>Box,Boxen,Maske,Instanz,segmentieren,SAM,SAMRS,Segment Anything,DOTA,Detektion,Objekt</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="74"/>
        <source>Turns detection boxes (axis-aligned or rotated polygons with a class) into one mask polygon per box with a Segment Anything model, as SAMRS does: each box prompts the model, the mask keeps the box&apos;s class and id, SAM&apos;s predicted IoU (&apos;score&apos;) and the prompt used. Outputs are in the raster&apos;s CRS (a raster without CRS: its pixel frame).

Prompt: &apos;auto&apos; uses the box (H-Box) for axis-aligned boxes and its enclosing horizontal box (RH-Box) for rotated ones, the paper&apos;s best settings; the other modes are the combinations of SAMRS Table 1 (CP = centre point, _m = mask prompt). Parts: keep each mask&apos;s largest part or all parts (holes are kept).

Model: a SAM-family id the backend knows (sam_vit_b/l/h, sam2_hiera_t/s/b_plus/l, sam2.1_hiera_...); give the checkpoint file you downloaded, in its official format. The image is encoded once per chip (the model&apos;s 1024 pixels) and every box of a chip is decoded from it; boxes larger than a chip get a resampled chip.

Optional: a label raster (class index per pixel, 255 = no mask), an instance raster, and a dataset folder in the SAMRS layout (image crops, label PNGs, classes.txt) to train a segmentation model. Boxes that cannot be used (outside the raster, zero area, self-intersecting, no class) are skipped and listed in the log.</source>
        <translation>Wandelt Detektionsboxen (achsparallele oder gedrehte Polygone mit einer Klasse) mit einem Segment-Anything-Modell in je ein Maskenpolygon pro Box um, wie es SAMRS tut: Jede Box dient dem Modell als Prompt, die Maske übernimmt Klasse und ID der Box, die von SAM vorhergesagte IoU („score“) und den verwendeten Prompt. Die Ausgaben liegen im KBS des Rasters (bei einem Raster ohne KBS: in seinem Pixelrahmen).

Prompt: „auto“ verwendet für achsparallele Boxen die Box selbst (H-Box) und für gedrehte ihre umschließende horizontale Box (RH-Box), die besten Einstellungen des Artikels; die anderen Modi sind die Kombinationen aus SAMRS-Tabelle 1 (CP = Mittelpunkt, _m = Masken-Prompt). Teile: von jeder Maske den größten Teil oder alle Teile behalten (Löcher bleiben erhalten).

Modell: die Kennung eines Modells der SAM-Familie, das das Backend kennt (sam_vit_b/l/h, sam2_hiera_t/s/b_plus/l, sam2.1_hiera_...); geben Sie die heruntergeladene Checkpoint-Datei in ihrem offiziellen Format an. Das Bild wird einmal je Bildausschnitt (1024 Pixel des Modells) kodiert, und alle Boxen eines Bildausschnitts werden daraus dekodiert; Boxen, die größer als ein Bildausschnitt sind, erhalten einen neu abgetasteten Bildausschnitt.

Optional: ein Label-Raster (Klassenindex je Pixel, 255 = keine Maske), ein Instanzraster und ein Datensatzordner im SAMRS-Aufbau (Bildzuschnitte, Label-PNGs, classes.txt), um ein Segmentierungsmodell zu trainieren. Boxen, die nicht verwendet werden können (außerhalb des Rasters, Fläche null, selbstüberschneidend, ohne Klasse), werden übersprungen und im Protokoll aufgeführt.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="98"/>
        <source>Image</source>
        <translation>Bild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="99"/>
        <source>Boxes</source>
        <translation>Boxen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="104"/>
        <source>Class field</source>
        <translation>Klassenfeld</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="112"/>
        <source>Box id field (empty: feature id)</source>
        <translation>Feld der Box-ID (leer: Objekt-ID)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="120"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="125"/>
        <source>Checkpoint file (empty: the model&apos;s installed weights)</source>
        <translation>Checkpoint-Datei (leer: die installierten Gewichte des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="125"/>
        <source>PyTorch weights (*.pt *.pth);;All files (*)</source>
        <translation>PyTorch-Gewichte (*.pt *.pth);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="134"/>
        <source>Prompt (SAMRS Table 1)</source>
        <translation>Prompt (SAMRS-Tabelle 1)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="142"/>
        <source>Mask parts to keep</source>
        <translation>Beizubehaltende Maskenteile</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="151"/>
        <source>Chip size (pixels, 0: the model&apos;s)</source>
        <translation>Größe der Bildausschnitte (Pixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="159"/>
        <source>Context around each box (pixels)</source>
        <translation>Kontextrand um jede Box (Pixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="166"/>
        <source>Dataset crop size (pixels)</source>
        <translation>Größe der Datensatz-Zuschnitte (Pixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="173"/>
        <source>Device</source>
        <translation>Rechengerät</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="181"/>
        <source>Label raster (class index, 255 = no mask)</source>
        <translation>Label-Raster (Klassenindex, 255 = keine Maske)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="189"/>
        <source>Instance raster (instance id, 0 = none)</source>
        <translation>Instanzraster (Instanz-ID, 0 = keine)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="197"/>
        <source>SAMRS dataset folder (new or empty)</source>
        <translation>SAMRS-Datensatzordner (neu oder leer)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="205"/>
        <source>Number of skipped boxes</source>
        <translation>Anzahl der übersprungenen Boxen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="209"/>
        <source>Masks</source>
        <translation>Masken</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="209"/>
        <source>Number of masks</source>
        <translation>Anzahl der Masken</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="209"/>
        <source>Encoded chips</source>
        <translation>Kodierte Bildausschnitte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="209"/>
        <source>Number of chips</source>
        <translation>Anzahl der Bildausschnitte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="232"/>
        <source>Choose at least one output (masks or chips).</source>
        <translation>Wählen Sie mindestens eine Ausgabe (Masken oder Bildausschnitte).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="247"/>
        <source>The box layer has no features.</source>
        <translation>Der Box-Layer hat keine Objekte.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="250"/>
        <source>The box layer has no class field {field}; its fields: {fields}.</source>
        <translation>Der Box-Layer hat kein Klassenfeld {field}; seine Felder: {fields}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="309"/>
        <source>Box {box_id} skipped: {reason}</source>
        <translation>Box {box_id} übersprungen: {reason}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/box_to_masks.py" line="314"/>
        <source>{masks} mask(s) from {valid} valid box(es) of {features}; {skipped} skipped; {chips} chip(s) encoded with {model} on {device}.</source>
        <translation>{masks} Maske(n) aus {valid} gültigen von {features} Box(en); {skipped} übersprungen; {chips} Bildausschnitt(e) mit {model} auf {device} kodiert.</translation>
    </message>
</context>
<context>
    <name>BuildRoadTrainingSet</name>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="62"/>
        <source>Build road training set</source>
        <translation>Straßen-Trainingsdatensatz erstellen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="66"/>
        <source>road,training,dataset,chips,labels,mask,fine-tune,osm,deep learning,aerial</source>
        <translation>Straße,Training,Datensatz,Kacheln,Labels,Maske,Feinabstimmung,OSM,Deep Learning,Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="101"/>
        <source>Aerial images</source>
        <translation>Luftbilder</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="106"/>
        <source>Roads (lines or polygons)</source>
        <translation>Straßen (Linien oder Polygone)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="113"/>
        <source>Road width field (metres; lines only)</source>
        <translation>Feld mit der Straßenbreite (Meter; nur Linien)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="122"/>
        <source>Default road width (metres)</source>
        <translation>Standard-Straßenbreite (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="132"/>
        <source>Area of interest</source>
        <translation>Untersuchungsgebiet</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="140"/>
        <source>Chip size (pixels)</source>
        <translation>Kachelgröße (Pixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="149"/>
        <source>Ground sample distance of the chips (metres per pixel, 0: the image&apos;s)</source>
        <translation>Bodenauflösung der Kacheln (Meter pro Pixel, 0: die des Bildes)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="159"/>
        <source>Share of each image held out for validation (0 to 0.9)</source>
        <translation>Zur Validierung zurückgehaltener Anteil jedes Bildes (0 bis 0,9)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="167"/>
        <source>Road-free chips kept per chip with roads</source>
        <translation>Behaltene straßenfreie Kacheln je Kachel mit Straßen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="196"/>
        <source>Training set folder</source>
        <translation>Ordner des Trainingsdatensatzes</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="199"/>
        <source>Number of chips</source>
        <translation>Anzahl der Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="199"/>
        <source>Number of training chips</source>
        <translation>Anzahl der Trainingskacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="199"/>
        <source>Number of held-out chips</source>
        <translation>Anzahl der zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="225"/>
        <source>{path} exists and is not empty; choose a new or empty folder.</source>
        <translation>{path} existiert und ist nicht leer; wählen Sie einen neuen oder leeren Ordner.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="291"/>
        <source>{chips} chip(s) of {chip_px} px at {gsd_m:.2f} m per pixel: {train} for training, {validation} held out, {empty} without roads; written to {path}.</source>
        <translation>{chips} Kachel(n) mit {chip_px} px bei {gsd_m:.2f} m pro Pixel: {train} zum Training, {validation} zurückgehalten, {empty} ohne Straßen; geschrieben nach {path}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="322"/>
        <source>Fine-tuning needs training and held-out chips with roads: use a larger area, smaller chips or another validation share.</source>
        <translation>Die Feinabstimmung braucht Trainings- und zurückgehaltene Kacheln mit Straßen: Verwenden Sie ein größeres Gebiet, kleinere Kacheln oder einen anderen Validierungsanteil.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="344"/>
        <source>Choose at least one aerial image.</source>
        <translation>Wählen Sie mindestens ein Luftbild.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="348"/>
        <source>{name} is not a raster layer.</source>
        <translation>{name} ist kein Rasterlayer.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="352"/>
        <source>Raster {name} has no coordinate reference system. Assign one (Raster &gt; Projections &gt; Assign Projection, or the layer properties) and run again.</source>
        <translation>Das Raster {name} hat kein Koordinatenbezugssystem. Weisen Sie eines zu (Raster &gt; Projektionen &gt; Projektion zuweisen oder in den Layereigenschaften) und starten Sie erneut.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="384"/>
        <source>Layer {name} has no coordinate reference system. Assign one (Layer Properties &gt; Source) and run again.</source>
        <translation>Der Layer {name} hat kein Koordinatenbezugssystem. Weisen Sie eines zu (Layereigenschaften &gt; Quelle) und starten Sie erneut.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="391"/>
        <source>Layer {name} has no features (with &apos;Selected features only&apos;: nothing is selected).</source>
        <translation>Der Layer {name} hat keine Objekte (bei „Nur gewählte Objekte“: es ist nichts ausgewählt).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="470"/>
        <source>Cancelled; nothing was written.</source>
        <translation>Abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="430"/>
        <source>Layer {name} is not a local file; exported it to {path}.</source>
        <translation>Der Layer {name} ist keine lokale Datei; er wurde nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="472"/>
        <source>Layer {name} was exported to {path} for the backend.</source>
        <translation>Der Layer {name} wurde für das Backend nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="72"/>
        <source>Turns aerial images and a road layer of the same area into a training set for &apos;Fine-tune road model&apos; (and the training command lines).

Roads are lines, thickened into road masks by the width field (metres; empty or zero values take the default width), or road polygons. The road layer may be in any CRS: it is reprojected to each image&apos;s CRS. An optional area-of-interest layer limits the roads used.

The images are cut into chips of &apos;chip size&apos; pixels at the ground sample distance (metres per pixel; 0: the first image&apos;s). The output folder gets images/*.tif (georeferenced chips), labels/*.png (road masks), centerlines/*.geojson and manifest.json. The held-out part is a stripe of each image (split by area, so neighbouring chips do not leak into it); road-free chips are kept up to the empty-chip ratio.

Advanced: &apos;Check the labels with a model&apos; runs an Anchor-SAM model on every chip with roads and compares its road mask with the label (IoU, written to manifest.json); chips below the minimum IoU (roads misplaced or missing in the road layer, or imagery that does not match it) are flagged: they stay listed, but their files go to the flagged/ subfolder, so fine-tuning leaves them out.

Images and roads need a CRS; every image needs its own file name. Layers that are not local files (memory layers, selections, web layers) are exported to temporary files first. The output folder must be new or empty.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings).</source>
        <translation>Macht aus Luftbildern und einem Straßenlayer desselben Gebiets einen Trainingsdatensatz für „Straßenmodell feinabstimmen“ (und die Trainings-Kommandozeilen).

Straßen sind Linien, die über das Breitenfeld (Meter; leere Werte oder 0 erhalten die Standardbreite) zu Straßenmasken verbreitert werden, oder Straßenpolygone. Der Straßenlayer darf in einem beliebigen KBS vorliegen: Er wird in das KBS jedes Bildes umprojiziert. Ein optionaler Layer mit dem Untersuchungsgebiet begrenzt die verwendeten Straßen.

Die Bilder werden in Kacheln von „Kachelgröße“ Pixeln bei der Bodenauflösung zerlegt (Meter pro Pixel; 0: die des ersten Bildes). Der Ausgabeordner erhält images/*.tif (georeferenzierte Kacheln), labels/*.png (Straßenmasken), centerlines/*.geojson und manifest.json. Der zurückgehaltene Teil ist ein Streifen jedes Bildes (Aufteilung nach Fläche, damit benachbarte Kacheln nicht hineinwirken); Kacheln ohne Straßen werden bis zum Anteil für straßenfreie Kacheln behalten.

Erweitert: „Beschriftungen mit einem Modell prüfen“ wendet ein Anchor-SAM-Modell auf jede Kachel mit Straßen an und vergleicht seine Straßenmaske mit der Beschriftung (IoU, in manifest.json festgehalten); Kacheln unter der Mindest-IoU (Straßen im Straßenlayer verschoben oder fehlend, oder Bilder, die nicht dazu passen) werden markiert: Sie bleiben aufgeführt, aber ihre Dateien kommen in den Unterordner flagged/, sodass die Feinabstimmung sie auslässt.

Bilder und Straßen brauchen ein KBS; jedes Bild braucht einen eigenen Dateinamen. Layer, die keine lokalen Dateien sind (Speicherlayer, Auswahlen, Weblayer), werden zuerst in temporäre Dateien exportiert. Der Ausgabeordner muss neu oder leer sein.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="175"/>
        <source>Check the labels with a model (optional)</source>
        <translation>Beschriftungen mit einem Modell prüfen (optional)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="184"/>
        <source>Minimum IoU of label and model mask (below: chip flagged)</source>
        <translation>Mindest-IoU von Beschriftung und Modellmaske (darunter: Kachel markiert)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="199"/>
        <source>Number of chips flagged by the model check</source>
        <translation>Anzahl der bei der Modellprüfung markierten Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/build_training_set.py" line="308"/>
        <source>Label check with {model}: median IoU of label and model mask {median}; {flagged} chip(s) below {minimum} flagged and moved to {folder} (listed in manifest.json, left out of fine-tuning).</source>
        <translation>Prüfung der Beschriftungen mit {model}: Median-IoU von Beschriftung und Modellmaske {median}; {flagged} Kachel(n) unter {minimum} markiert und nach {folder} verschoben (in manifest.json aufgeführt, bei der Feinabstimmung ausgelassen).</translation>
    </message>
</context>
<context>
    <name>EvaluateInstanceMasks</name>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="45"/>
        <source>Evaluate instance masks (mIoU)</source>
        <translation>Instanzmasken bewerten (mIoU)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="49"/>
        <source>miou,iou,instance,mask,evaluate,metric,accuracy,samrs,isaid</source>
        <translation>mIoU,IoU,Instanz,Maske,bewerten,Metrik,Genauigkeit,SAMRS,iSAID</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="53"/>
        <source>Scores predicted mask polygons against ground-truth instance masks with the two metrics of SAMRS (Eq. 1): mIoU_I, the mean IoU over instances, and mIoU_P, the summed intersections over the summed unions (pixel-weighted).

Ground truth: a raster of instance ids on the image&apos;s grid, one band of ids or an iSAID *_instance_id_RGB.png (id = R + 256 G + 65536 B); 0 is background. The polygons are rasterised on that grid. Matching &apos;iou&apos; pairs predictions and instances one to one by best IoU; &apos;id&apos; pairs a prediction with the instance whose id is in its id field (boxes imported from iSAID carry it in box_id). An instance without a prediction counts with IoU 0.</source>
        <translation>Bewertet vorhergesagte Maskenpolygone anhand von Referenz-Instanzmasken mit den beiden Metriken von SAMRS (Gl. 1): mIoU_I, der mittleren IoU über die Instanzen, und mIoU_P, der Summe der Schnittflächen geteilt durch die Summe der Vereinigungsflächen (pixelgewichtet).

Referenz: ein Raster mit Instanz-IDs auf dem Pixelraster des Bildes, ein Kanal mit IDs oder eine iSAID-Datei *_instance_id_RGB.png (ID = R + 256 G + 65536 B); 0 ist Hintergrund. Die Polygone werden auf diesem Pixelraster gerastert. Die Zuordnung „iou“ ordnet Vorhersagen und Instanzen eins zu eins nach der besten IoU einander zu; „id“ ordnet eine Vorhersage der Instanz zu, deren ID in ihrem ID-Feld steht (aus iSAID importierte Boxen tragen sie in box_id). Eine Instanz ohne Vorhersage zählt mit IoU 0.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="68"/>
        <source>Predicted masks</source>
        <translation>Vorhergesagte Masken</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="73"/>
        <source>Image</source>
        <translation>Bild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="74"/>
        <source>Ground-truth instance ids (raster)</source>
        <translation>Referenz-Instanz-IDs (Raster)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="79"/>
        <source>Match predictions to instances by</source>
        <translation>Vorhersagen den Instanzen zuordnen nach</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="87"/>
        <source>Instance id field (matching by id)</source>
        <translation>Feld der Instanz-ID (Zuordnung nach ID)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="96"/>
        <source>Report (JSON, every instance)</source>
        <translation>Bericht (JSON, jede Instanz)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="96"/>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="105"/>
        <source>mIoU_I (mean over instances)</source>
        <translation>mIoU_I (Mittel über die Instanzen)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="105"/>
        <source>mIoU_P (pixel-weighted)</source>
        <translation>mIoU_P (pixelgewichtet)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="105"/>
        <source>Number of ground-truth instances</source>
        <translation>Anzahl der Referenzinstanzen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="105"/>
        <source>Number of matched instances</source>
        <translation>Anzahl der zugeordneten Instanzen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="130"/>
        <source>The image and the ground truth must be local raster files.</source>
        <translation>Das Bild und die Referenz müssen lokale Rasterdateien sein.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="138"/>
        <source>Matching by id needs an id field of the predictions; fields: {f}.</source>
        <translation>Die Zuordnung nach ID benötigt ein ID-Feld der Vorhersagen; Felder: {f}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_instance_masks.py" line="167"/>
        <source>mIoU_I {i:.4f}, mIoU_P {p:.4f} over {n} instance(s); {m} matched, {u} prediction(s) unmatched.</source>
        <translation>mIoU_I {i:.4f}, mIoU_P {p:.4f} über {n} Instanz(en); {m} zugeordnet, {u} Vorhersage(n) ohne Zuordnung.</translation>
    </message>
</context>
<context>
    <name>EvaluateRoadGraph</name>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="64"/>
        <source>Evaluate road graph</source>
        <translation>Straßengraph bewerten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="68"/>
        <source>road,graph,centerline,evaluate,metric,accuracy,apls,topo</source>
        <translation>Straße,Graph,Mittellinie,bewerten,Metrik,Genauigkeit,APLS,TOPO</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="97"/>
        <source>Ground-truth road centerlines</source>
        <translation>Referenz-Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="104"/>
        <source>Proposed road centerlines</source>
        <translation>Vorgeschlagene Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="111"/>
        <source>APLS snap buffer (metres)</source>
        <translation>APLS-Fangpuffer (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="111"/>
        <source>TOPO match radius (metres)</source>
        <translation>TOPO-Zuordnungsradius (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="111"/>
        <source>TOPO sample interval (metres)</source>
        <translation>TOPO-Abtastintervall (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="111"/>
        <source>TOPO maximum distance from a seed (metres)</source>
        <translation>TOPO-Höchstentfernung vom Startort (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="149"/>
        <source>TOPO seed locations</source>
        <translation>TOPO-Startorte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="156"/>
        <source>Random seed</source>
        <translation>Startwert des Zufallsgenerators</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="186"/>
        <source>Report (JSON)</source>
        <translation>Bericht (JSON)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="186"/>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>APLS</source>
        <translation>APLS</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>APLS, ground truth to proposal</source>
        <translation>APLS, Referenz zu Vorschlag</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>APLS, proposal to ground truth</source>
        <translation>APLS, Vorschlag zu Referenz</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>TOPO precision</source>
        <translation>TOPO-Präzision</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>TOPO recall</source>
        <translation>TOPO-Trefferquote (Recall)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="195"/>
        <source>TOPO F1</source>
        <translation>TOPO-F1</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="298"/>
        <source>Layer {name} has no features (with &apos;Selected features only&apos;: nothing is selected).</source>
        <translation>Der Layer {name} hat keine Objekte (bei „Nur gewählte Objekte“: es ist nichts ausgewählt).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="316"/>
        <source>Layer {name} was exported to {path} for the backend.</source>
        <translation>Der Layer {name} wurde für das Backend nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="72"/>
        <source>Scores proposed road centerlines against ground-truth centerlines with two graph metrics, each between 0 (nothing right) and 1 (identical):

APLS (average path length similarity) follows the SpaceNet definition, convention for convention: lines join only at shared vertices, a road drawn twice is dropped, pieces shorter than 5 m are dropped; control points sit on every node and on long curved roads; each control point snaps onto the other graph within the snap buffer (4 m) and shortest-path lengths are compared in both directions (ground truth to proposal and back). An empty proposal scores 0. Changing an APLS setting from its default is reported with the score.

TOPO samples the roads every &apos;interval&apos; metres out to &apos;maximum distance&apos; metres from random seed locations and matches samples within the match radius: precision, recall and F1; for TOPO, line ends closer than the snap tolerance are joined.

Both layers are measured in metres, in the ground truth&apos;s CRS when it is projected in metres, else in its UTM zone; the proposal may be in any CRS. Layers that are not local files (memory layers, selections, database tables) are exported to a temporary GeoPackage first.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings).</source>
        <translation>Bewertet vorgeschlagene Straßenmittellinien anhand von Referenz-Mittellinien mit zwei Graphmetriken, jeweils zwischen 0 (nichts stimmt) und 1 (identisch):

APLS (Average Path Length Similarity) folgt der SpaceNet-Definition, Konvention für Konvention: Linien werden nur an gemeinsamen Stützpunkten verbunden, eine doppelt gezeichnete Straße fällt weg, Stücke kürzer als 5 m fallen weg; Kontrollpunkte liegen auf jedem Knoten und auf langen, gekrümmten Straßen; jeder Kontrollpunkt rastet innerhalb des Fangpuffers (4 m) auf dem anderen Graphen ein, und die Längen kürzester Wege werden in beide Richtungen verglichen (Referenz zu Vorschlag und zurück). Ein leerer Vorschlag erhält 0. Weicht eine APLS-Einstellung vom Standard ab, wird das mit dem Ergebnis gemeldet.

TOPO tastet die Straßen im Abstand des Intervalls (Meter) bis zur maximalen Entfernung (Meter) von zufälligen Startorten ab und ordnet Abtastpunkte innerhalb des Zuordnungsradius einander zu: Präzision, Trefferquote (Recall) und F1; für TOPO werden Linienenden, die näher als die Fangtoleranz beieinander liegen, verbunden.

Beide Layer werden in Metern gemessen, im KBS der Referenz, wenn es in Metern projiziert ist, sonst in deren UTM-Zone; der Vorschlag darf in einem beliebigen KBS vorliegen. Layer, die keine lokalen Dateien sind (temporäre Layer, Auswahlen, Datenbanktabellen), werden zuerst in ein temporäres GeoPackage exportiert.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="111"/>
        <source>APLS control point spacing on long curved roads (metres)</source>
        <translation>APLS-Kontrollpunktabstand auf langen, gekrümmten Straßen (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="162"/>
        <source>TOPO: join line ends closer than (metres)</source>
        <translation>TOPO: Linienenden verbinden, die näher liegen als (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="169"/>
        <source>APLS: roads straighter than this get no extra control points</source>
        <translation>APLS: Straßen, die gerader sind als dieser Wert, erhalten keine zusätzlichen Kontrollpunkte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="175"/>
        <source>APLS: join line ends closer than (metres; SpaceNet: 0)</source>
        <translation>APLS: Linienenden verbinden, die näher liegen als (Meter; SpaceNet: 0)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="327"/>
        <source>{definition}: {apls:.3f} (ground truth to proposal {gt_to_prop:.3f}, proposal to ground truth {prop_to_gt:.3f})
TOPO: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}
Ground truth: {gt_edges} edge(s), {gt_km:.2f} km; proposal: {prop_edges} edge(s), {prop_km:.2f} km (measured in {crs}).</source>
        <translation>{definition}: {apls:.3f} (Referenz zu Vorschlag {gt_to_prop:.3f}, Vorschlag zu Referenz {prop_to_gt:.3f})
TOPO: Präzision {precision:.3f}, Trefferquote {recall:.3f}, F1 {f1:.3f}
Referenz: {gt_edges} Kante(n), {gt_km:.2f} km; Vorschlag: {prop_edges} Kante(n), {prop_km:.2f} km (gemessen in {crs}).</translation>
    </message>
</context>
<context>
    <name>ExtractRoadGraph</name>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="62"/>
        <source>Extract road graph (LineGraph2Road)</source>
        <translation>Straßengraph extrahieren (LineGraph2Road)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="66"/>
        <source>road,graph,centerline,network,extract,detect,linegraph2road,deep learning,aerial</source>
        <translation>Straße,Graph,Mittellinie,Netz,extrahieren,erkennen,LineGraph2Road,Deep Learning,Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="98"/>
        <source>Aerial image</source>
        <translation>Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="100"/>
        <source>Bands (3 for red, green, blue, or 1; empty: 1, 2, 3)</source>
        <translation>Kanäle (3 für Rot, Grün, Blau oder 1; leer: 1, 2, 3)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="109"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="117"/>
        <source>Own checkpoint for the model</source>
        <translation>Eigener Checkpoint für das Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="117"/>
        <source>PyTorch weights (*.pt *.pth);;All files (*)</source>
        <translation>PyTorch-Gewichte (*.pt *.pth);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="126"/>
        <source>Edge probability threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert der Kantenwahrscheinlichkeit (leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="135"/>
        <source>Merge chains of edges through degree-2 nodes</source>
        <translation>Ketten von Kanten über Knoten vom Grad 2 zusammenfassen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="143"/>
        <source>Ground sample distance to run at (metres per pixel, 0: the model&apos;s)</source>
        <translation>Bodenauflösung für die Berechnung (Meter pro Pixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="151"/>
        <source>Window size (model pixels, 0: the model&apos;s)</source>
        <translation>Fenstergröße (Modellpixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="160"/>
        <source>Window overlap (model pixels, more than 64)</source>
        <translation>Fensterüberlappung (Modellpixel, mehr als 64)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="204"/>
        <source>Device</source>
        <translation>Rechengerät</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="220"/>
        <source>Road graph edges</source>
        <translation>Kanten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="220"/>
        <source>Road graph nodes</source>
        <translation>Knoten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="220"/>
        <source>Number of edges</source>
        <translation>Anzahl der Kanten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="220"/>
        <source>Number of nodes</source>
        <translation>Anzahl der Knoten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="243"/>
        <source>Choose at least one output (edges or nodes).</source>
        <translation>Wählen Sie mindestens eine Ausgabe (Kanten oder Knoten).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="311"/>
        <source>{edges} edge(s), {nodes} node(s), {length_km:.2f} km of road; model {model} on {device} at {gsd_m:.2f} m per pixel.</source>
        <translation>{edges} Kante(n), {nodes} Knoten, {length_km:.2f} km Straße; Modell {model} auf {device} bei {gsd_m:.2f} m pro Pixel.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="325"/>
        <source>No road edges were found. Lower the edge, keypoint and road thresholds, check the bands, or set the ground sample distance the model should see.</source>
        <translation>Es wurden keine Straßenkanten gefunden. Senken Sie die Schwellenwerte für Kanten, Schlüsselpunkte und Straßen, prüfen Sie die Kanäle oder geben Sie die Bodenauflösung an, die das Modell sehen soll.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="167"/>
        <source>Keypoint threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert für Schlüsselpunkte (leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="174"/>
        <source>Road threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert für Straßen (leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="181"/>
        <source>Use the model&apos;s own road mask (not the road segmentation model its card names)</source>
        <translation>Eigene Straßenmaske des Modells verwenden (nicht das Straßensegmentierungsmodell aus seiner Modellkarte)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="190"/>
        <source>Test-time augmentation of the road mask: views of each window averaged</source>
        <translation>Testzeit-Augmentierung der Straßenmaske: gemittelte Ansichten jedes Fensters</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="72"/>
        <source>Extracts the road network of an aerial image as a graph with the LineGraph2Road method: road centerline edges (with the model&apos;s connection probability and their length in metres) and the graph&apos;s nodes (degree, keypoint and overpass flags, score), both in the raster&apos;s CRS.

Bands: 3 bands (red, green, blue) or 1 band (grey); empty means bands 1, 2, 3. Model: the id of a LineGraph2Road model the backend knows (a wrong id fails with the list of known ones); a checkpoint file replaces its weights with your own. The image is resampled to the model&apos;s ground sample distance unless you give one (metres per pixel; 0 = the model&apos;s).

The image is processed in sliding windows (0 = the model&apos;s window size) that overlap by more than the 64 pixel candidate-edge radius. Edges below the edge threshold are dropped; the keypoint and road thresholds steer which vertices are found. The shipped model takes its road mask from the shipped Anchor-SAM road segmentation model (its model card says so); tick &apos;Use the model&apos;s own road mask&apos; to use the LineGraph2Road decoder&apos;s. &apos;Merge chains&apos; joins runs of edges through degree-2 nodes into longer lines. Roads that end a little short of the raster&apos;s edge are continued to it (the model&apos;s validated distance; 0 turns this off), so the graphs of neighbouring areas can be joined.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings); &apos;auto&apos; runs on the backend&apos;s device.</source>
        <translation>Extrahiert das Straßennetz eines Luftbilds als Graph mit dem Verfahren LineGraph2Road: Kanten entlang der Straßenmittellinien (mit der Verbindungswahrscheinlichkeit des Modells und ihrer Länge in Metern) und die Knoten des Graphen (Grad, Kennzeichen für Schlüsselpunkt und Überführung, Bewertung), beide im KBS des Rasters.

Kanäle: 3 Kanäle (Rot, Grün, Blau) oder 1 Kanal (Grau); leer bedeutet Kanäle 1, 2, 3. Modell: die Kennung eines LineGraph2Road-Modells, das das Backend kennt (eine falsche Kennung schlägt mit der Liste der bekannten fehl); eine Checkpoint-Datei ersetzt seine Gewichte durch eigene. Das Bild wird auf die Bodenauflösung des Modells umgerechnet, sofern Sie keine angeben (Meter pro Pixel; 0 = die des Modells).

Das Bild wird in gleitenden Fenstern verarbeitet (0 = Fenstergröße des Modells), die sich um mehr als den Kandidatenkanten-Radius von 64 Pixeln überlappen. Kanten unter dem Kantenschwellenwert werden verworfen; die Schwellenwerte für Schlüsselpunkte und Straßen steuern, welche Eckpunkte gefunden werden. Das mitgelieferte Modell nimmt seine Straßenmaske vom mitgelieferten Anchor-SAM-Straßensegmentierungsmodell (so steht es in seiner Modellkarte); setzen Sie „Eigene Straßenmaske des Modells verwenden“, um die des LineGraph2Road-Decoders zu nehmen. „Ketten zusammenfassen“ verbindet Folgen von Kanten über Knoten vom Grad 2 zu längeren Linien. Straßen, die knapp vor dem Rand des Rasters enden, werden bis zu ihm verlängert (der validierte Abstand des Modells; 0 schaltet das ab), damit sich die Graphen benachbarter Gebiete verbinden lassen.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen); „auto“ rechnet auf dem Gerät des Backends.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="194"/>
        <source>Continue roads that end this close to the raster edge on to it (model pixels, 0: never; empty: the model&apos;s validated value)</source>
        <translation>Straßen, die so nah am Rand des Rasters enden, bis zu ihm verlängern (Modellpixel, 0: nie; leer: der validierte Wert des Modells)</translation>
    </message>
</context>
<context>
    <name>FineTuneRoadModel</name>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="81"/>
        <source>Fine-tune road model</source>
        <translation>Straßenmodell feinabstimmen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="119"/>
        <source>Training set folder (from &apos;Build road training set&apos;)</source>
        <translation>Ordner des Trainingsdatensatzes (aus „Straßen-Trainingsdatensatz erstellen“)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="126"/>
        <source>Base model</source>
        <translation>Basismodell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="134"/>
        <source>Name of the new model</source>
        <translation>Name des neuen Modells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="135"/>
        <source>3 to 64 characters a-z, 0-9 and _, starting with a letter; not taken yet.</source>
        <translation>3 bis 64 Zeichen a-z, 0-9 und _, beginnend mit einem Buchstaben; noch nicht vergeben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="139"/>
        <source>Training time budget (minutes)</source>
        <translation>Zeitbudget für das Training (Minuten)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="149"/>
        <source>Learning rate</source>
        <translation>Lernrate</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="149"/>
        <source>gentle (1e-4)</source>
        <translation>behutsam (1e-4)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="149"/>
        <source>normal (3e-4)</source>
        <translation>normal (3e-4)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="149"/>
        <source>strong (1e-3)</source>
        <translation>stark (1e-3)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="161"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="167"/>
        <source>Maximum training steps</source>
        <translation>Höchstzahl an Trainingsschritten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="174"/>
        <source>Training crop size (pixels, a multiple of 32)</source>
        <translation>Größe der Trainingsausschnitte (Pixel, ein Vielfaches von 32)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="181"/>
        <source>Crops per training step</source>
        <translation>Ausschnitte pro Trainingsschritt</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="192"/>
        <source>New model id</source>
        <translation>ID des neuen Modells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="193"/>
        <source>New model weights</source>
        <translation>Gewichte des neuen Modells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out road IoU of the base model</source>
        <translation>Straßen-IoU des Basismodells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out road IoU of the new model</source>
        <translation>Straßen-IoU des neuen Modells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Training steps</source>
        <translation>Trainingsschritte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="227"/>
        <source>{path} is not a training set (no manifest.json); make one with &apos;Build road training set&apos; first.</source>
        <translation>{path} ist kein Trainingsdatensatz (keine manifest.json); erstellen Sie zuerst einen mit „Straßen-Trainingsdatensatz erstellen“.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="322"/>
        <source>Training was cancelled; the best checkpoint so far was saved as {model}.</source>
        <translation>Das Training wurde abgebrochen; der bis dahin beste Checkpoint wurde als {model} gespeichert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="335"/>
        <source>The new model scores lower on the held-out chips than {base}: train longer, use a gentler learning rate or more data.</source>
        <translation>Das neue Modell schneidet auf den zurückgehaltenen Kacheln schlechter ab als {base}: Trainieren Sie länger, mit einer behutsameren Lernrate oder mit mehr Daten.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="354"/>
        <source>A model named {name} exists already; choose another name.</source>
        <translation>Ein Modell namens {name} existiert bereits; wählen Sie einen anderen Namen.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out road-mask F1 of the base model</source>
        <translation>F1 der Straßenmaske des Basismodells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out road-mask F1 of the new model</source>
        <translation>F1 der Straßenmaske des neuen Modells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out APLS of the base model</source>
        <translation>APLS des Basismodells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out APLS of the new model</source>
        <translation>APLS des neuen Modells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out TOPO F1 of the base model</source>
        <translation>TOPO-F1 des Basismodells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out TOPO F1 of the new model</source>
        <translation>TOPO-F1 des neuen Modells auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="277"/>
        <source>New model {model} ({steps} step(s) from {base} in {minutes:.1f} min on {device}).</source>
        <translation>Neues Modell {model} ({steps} Schritt(e) ausgehend von {base} in {minutes:.1f} min auf {device}).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="304"/>
        <source>Held-out road-mask F1: {f1_before} before, {f1_after} after; APLS: {apls_before} before, {apls_after} after; TOPO F1: {topo_before} before, {topo_after} after.</source>
        <translation>F1 der Straßenmaske auf den zurückgehaltenen Kacheln: {f1_before} vorher, {f1_after} nachher; APLS: {apls_before} vorher, {apls_after} nachher; TOPO-F1: {topo_before} vorher, {topo_after} nachher.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="317"/>
        <source>Held-out road IoU: {before} before, {after} after.</source>
        <translation>Straßen-IoU auf den zurückgehaltenen Kacheln: {before} vorher, {after} nachher.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="85"/>
        <source>road,fine-tune,training,transfer learning,model,anchor-sam,linegraph2road,graph,roadgie,interactive,clicks,deep learning,aerial</source>
        <translation>Straße,Feinabstimmung,Training,Transferlernen,Modell,Anchor-SAM,LineGraph2Road,Graph,RoadGIE,interaktiv,Klicks,Deep Learning,Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="92"/>
        <source>Adapts a road model to your imagery with a training set made by &apos;Build road training set&apos;.

The base model is an Anchor-SAM model (Segment roads), a LineGraph2Road model (Extract road graph) or an interactive road model (the road engine of the interactive extraction dock), shipped or fine-tuned before. It is first scored on the held-out chips (Anchor-SAM: road IoU at 0.5; LineGraph2Road: road-mask F1, APLS and TOPO F1 at the model&apos;s own thresholds; interactive model: mean Dice after 1, 3 and 5 simulated clicks and click consistency), then trained from its weights for the time budget (or the maximum number of steps), keeping the checkpoint that scores best on the held-out chips; the log shows the loss and the held-out scores as training goes. The new model is saved under its name in the backend&apos;s user model folder with a model card, scored again, and appears in the model lists of its family (algorithms or the interactive dock). Results: the model id and the held-out scores before and after.

Cancelling while training stops it and still saves the best checkpoint so far. Learning rate: gentle (1e-4) changes the model least, strong (1e-3) most. The training crop size applies to Anchor-SAM and the interactive model (at most the chip size); LineGraph2Road trains on crops of its window size.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings); &apos;auto&apos; runs on the backend&apos;s device.</source>
        <translation>Passt ein Straßenmodell mit einem Trainingsdatensatz aus „Straßen-Trainingsdatensatz erstellen“ an Ihre Bilder an.

Das Basismodell ist ein Anchor-SAM-Modell (Straßen segmentieren), ein LineGraph2Road-Modell (Straßengraph extrahieren) oder ein interaktives Straßenmodell (das Straßenmodell des Docks für die interaktive Extraktion), mitgeliefert oder bereits feinabgestimmt. Es wird zuerst auf den zurückgehaltenen Kacheln bewertet (Anchor-SAM: Straßen-IoU bei 0,5; LineGraph2Road: F1 der Straßenmaske, APLS und TOPO-F1 bei den eigenen Schwellenwerten des Modells; interaktives Modell: mittlerer Dice nach 1, 3 und 5 simulierten Klicks und Klick-Konsistenz) und dann ausgehend von seinen Gewichten für das Zeitbudget (oder die Höchstzahl an Schritten) trainiert; behalten wird der Checkpoint, der auf den zurückgehaltenen Kacheln am besten abschneidet. Das Protokoll zeigt während des Trainings den Loss und die Werte auf den zurückgehaltenen Kacheln. Das neue Modell wird unter seinem Namen mit einer Modellkarte im Benutzer-Modellordner des Backends gespeichert, erneut bewertet und erscheint in den Modelllisten seiner Modellfamilie (Algorithmen oder das interaktive Dock). Ergebnisse: die Modell-ID und die Werte auf den zurückgehaltenen Kacheln vorher und nachher.

Ein Abbruch während des Trainings beendet es und speichert trotzdem den bis dahin besten Checkpoint. Lernrate: behutsam (1e-4) verändert das Modell am wenigsten, stark (1e-3) am meisten. Die Größe der Trainingsausschnitte gilt für Anchor-SAM und das interaktive Modell (höchstens die Kachelgröße); LineGraph2Road trainiert auf Ausschnitten seiner Fenstergröße.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen); „auto“ rechnet auf dem Gerät des Backends.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 1 click, base model</source>
        <translation>Dice des Basismodells nach 1 Klick auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 1 click, new model</source>
        <translation>Dice des neuen Modells nach 1 Klick auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 3 clicks, base model</source>
        <translation>Dice des Basismodells nach 3 Klicks auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 3 clicks, new model</source>
        <translation>Dice des neuen Modells nach 3 Klicks auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 5 clicks, base model</source>
        <translation>Dice des Basismodells nach 5 Klicks auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Held-out Dice after 5 clicks, new model</source>
        <translation>Dice des neuen Modells nach 5 Klicks auf den zurückgehaltenen Kacheln</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Click consistency of the base model</source>
        <translation>Klick-Konsistenz des Basismodells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="194"/>
        <source>Click consistency of the new model</source>
        <translation>Klick-Konsistenz des neuen Modells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/fine_tune.py" line="289"/>
        <source>Held-out Dice after 1 / 3 / 5 clicks: {d1_before} / {d3_before} / {d5_before} before, {d1_after} / {d3_after} / {d5_after} after; click consistency: {c_before} before, {c_after} after.</source>
        <translation>Dice auf den zurückgehaltenen Kacheln nach 1 / 3 / 5 Klicks: {d1_before} / {d3_before} / {d5_before} vorher, {d1_after} / {d3_after} / {d5_after} nachher; Klick-Konsistenz: {c_before} vorher, {c_after} nachher.</translation>
    </message>
</context>
<context>
    <name>ImportBoxAnnotations</name>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="41"/>
        <source>Import DOTA / DIOR / FAIR1M / iSAID boxes</source>
        <translation>DOTA-/DIOR-/FAIR1M-/iSAID-Boxen importieren</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="45"/>
        <source>dota,dior,fair1m,isaid,voc,labeltxt,annotation,box,import,detection</source>
        <translation>DOTA,DIOR,FAIR1M,iSAID,VOC,labelTxt,Annotation,Box,importieren,Detektion</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="51"/>
        <source>Reads a detection annotation file and writes its boxes as polygons placed on the image through the image&apos;s geotransform, with the fields class, difficult and box_id. An image without georeference gets its pixel frame (x = column, y = -row, no CRS), which is how QGIS shows such images.

Formats: DOTA v1 / v1.5 / v2 labelTxt (.txt, oriented boxes), DIOR Pascal VOC XML (horizontal boxes), FAIR1M 2.0 XML (oriented boxes), and iSAID instance masks (*_instance_id_RGB.png: one horizontal box per instance, the class from the matching *_instance_color_RGB.png). &apos;auto&apos; tells them apart by name and content.

The result feeds &apos;Boxes to masks (SAMRS)&apos;.</source>
        <translation>Liest eine Annotationsdatei für die Objektdetektion und schreibt ihre Boxen als Polygone, die über die Geotransformation des Bildes auf dem Bild platziert werden, mit den Feldern class, difficult und box_id. Ein Bild ohne Georeferenzierung erhält seinen Pixelrahmen (x = Spalte, y = -Zeile, kein KBS); so zeigt QGIS solche Bilder an.

Formate: DOTA v1 / v1.5 / v2 labelTxt (.txt, orientierte Boxen), DIOR Pascal VOC XML (horizontale Boxen), FAIR1M 2.0 XML (orientierte Boxen) und iSAID-Instanzmasken (*_instance_id_RGB.png: eine horizontale Box je Instanz, die Klasse aus der zugehörigen *_instance_color_RGB.png). „auto“ unterscheidet sie anhand von Name und Inhalt.

Das Ergebnis dient als Eingabe für „Boxen zu Masken (SAMRS)“.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="65"/>
        <source>Annotation file</source>
        <translation>Annotationsdatei</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="65"/>
        <source>Annotations (*.txt *.xml *.png);;DOTA labelTxt (*.txt);;DIOR / FAIR1M XML (*.xml);;iSAID instance ids (*.png);;All files (*)</source>
        <translation>Annotationen (*.txt *.xml *.png);;DOTA labelTxt (*.txt);;DIOR / FAIR1M XML (*.xml);;iSAID-Instanz-IDs (*.png);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="76"/>
        <source>Image of the annotations</source>
        <translation>Bild der Annotationen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="79"/>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="91"/>
        <source>Boxes</source>
        <translation>Boxen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="91"/>
        <source>Number of boxes</source>
        <translation>Anzahl der Boxen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="105"/>
        <source>Choose where to write the boxes.</source>
        <translation>Wählen Sie, wohin die Boxen geschrieben werden sollen.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="117"/>
        <source>Annotation file {path} does not exist.</source>
        <translation>Die Annotationsdatei {path} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="123"/>
        <source>The image must be a local raster file (the annotations are in its pixels).</source>
        <translation>Das Bild muss eine lokale Rasterdatei sein (die Annotationen sind in seinen Pixelkoordinaten angegeben).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="149"/>
        <source>{n} box(es) ({fmt}): {classes}</source>
        <translation>{n} Box(en) ({fmt}): {classes}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/import_box_annotations.py" line="157"/>
        <source>{n} box(es) lie outside the image.</source>
        <translation>{n} Box(en) liegen außerhalb des Bildes.</translation>
    </message>
</context>
<context>
    <name>RoadExtractAlgorithm</name>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="455"/>
        <source>The model&apos;s validated choice</source>
        <translation>Die validierte Wahl des Modells</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="455"/>
        <source>1 view (fastest)</source>
        <translation>1 Ansicht (am schnellsten)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="455"/>
        <source>2 views (the image and its mirror)</source>
        <translation>2 Ansichten (das Bild und sein Spiegelbild)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="455"/>
        <source>4 views (the flips)</source>
        <translation>4 Ansichten (die Spiegelungen)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="455"/>
        <source>8 views (all rotations and flips; slowest)</source>
        <translation>8 Ansichten (alle Drehungen und Spiegelungen; am langsamsten)</translation>
    </message>
</context>
<context>
    <name>RoadMaskToVectors</name>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="51"/>
        <source>Road mask to vectors</source>
        <translation>Straßenmaske zu Vektoren</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="55"/>
        <source>road,mask,vectorize,polygonize,skeleton,centerline,graph</source>
        <translation>Straße,Maske,vektorisieren,polygonisieren,Skelett,Mittellinie,Graph</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="59"/>
        <source>Turns a road mask or road probability raster into vector layers: road polygons, road centerlines (a graph of edges) and the graph&apos;s nodes (junctions and dead ends), all in the raster&apos;s CRS.

Pixels at or above the threshold are road. The threshold applies to values scaled to 0..1: 8-bit rasters are divided by 255 (unless they hold only 0 and 1), 16-bit rasters by 65535, floating point rasters are used as they are.

Simplify tolerance (map units) simplifies the polygon outlines; polygons smaller than the minimum area (square map units) are dropped; centerline spurs shorter than the spur length (metres) that end in nothing are pruned.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings).</source>
        <translation>Wandelt eine Straßenmaske oder ein Raster mit Straßenwahrscheinlichkeiten in Vektorlayer um: Straßenpolygone, Straßenmittellinien (ein Graph aus Kanten) und die Knoten des Graphen (Kreuzungen und Sackgassen), alle im KBS des Rasters.

Pixel mit einem Wert ab dem Schwellenwert gelten als Straße. Der Schwellenwert bezieht sich auf Werte, die auf 0..1 skaliert sind: 8-Bit-Raster werden durch 255 geteilt (außer sie enthalten nur 0 und 1), 16-Bit-Raster durch 65535, Gleitkommaraster werden unverändert verwendet.

Die Vereinfachungstoleranz (Karteneinheiten) vereinfacht die Polygonumrisse; Polygone unter der Mindestfläche (Quadrat-Karteneinheiten) werden verworfen; Ausläufer der Mittellinien, die kürzer als die Ausläuferlänge (Meter) sind und ins Leere führen, werden entfernt.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="76"/>
        <source>Road mask or road probability raster</source>
        <translation>Straßenmaske oder Raster mit Straßenwahrscheinlichkeiten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="84"/>
        <source>Band</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="93"/>
        <source>Threshold (values scaled to 0..1)</source>
        <translation>Schwellenwert (Werte auf 0..1 skaliert)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="122"/>
        <source>Prune centerline spurs shorter than (metres)</source>
        <translation>Mittellinien-Ausläufer entfernen, die kürzer sind als (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="131"/>
        <source>Processing window size (pixels)</source>
        <translation>Größe des Verarbeitungsfensters (Pixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Road polygons</source>
        <translation>Straßenpolygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Road centerlines</source>
        <translation>Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Road graph nodes</source>
        <translation>Knoten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Number of polygons</source>
        <translation>Anzahl der Polygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Number of centerlines</source>
        <translation>Anzahl der Mittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="146"/>
        <source>Number of nodes</source>
        <translation>Anzahl der Knoten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="178"/>
        <source>Choose at least one output (polygons, centerlines or nodes).</source>
        <translation>Wählen Sie mindestens eine Ausgabe (Polygone, Mittellinien oder Knoten).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="232"/>
        <source>{polygons} polygon(s), {edges} centerline(s), {nodes} node(s).</source>
        <translation>{polygons} Polygon(e), {edges} Mittellinie(n), {nodes} Knoten.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="104"/>
        <source>Polygon simplify tolerance (metres, 0: none)</source>
        <translation>Toleranz der Polygonvereinfachung (Meter, 0: keine)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="113"/>
        <source>Minimum polygon area (m²)</source>
        <translation>Mindestfläche der Polygone (m²)</translation>
    </message>
</context>
<context>
    <name>SegmentRoads</name>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="70"/>
        <source>Segment roads (Anchor-SAM)</source>
        <translation>Straßen segmentieren (Anchor-SAM)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="74"/>
        <source>road,segmentation,mask,probability,polygon,centerline,anchor-sam,sam2,deep learning,aerial</source>
        <translation>Straße,Segmentierung,Maske,Wahrscheinlichkeit,Polygon,Mittellinie,Anchor-SAM,SAM2,Deep Learning,Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="81"/>
        <source>Segments the roads of an aerial image with the Anchor-SAM method (SAM2 Hiera encoder, multiscale deformable context perceiver, Bayesian skip connections). Writes a road probability raster (GeoTIFF, 0 to 1, on the input&apos;s grid and in its CRS), road polygons where the probability reaches the threshold and, if requested, road centerlines.

Bands: 3 bands (red, green, blue) or 1 band (grey); empty means bands 1, 2, 3. The image is resampled to the model&apos;s ground sample distance unless you give one (metres per pixel; 0 = the model&apos;s), processed in overlapping tiles that are blended, and the probability is resampled back to the input&apos;s pixels.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings); &apos;auto&apos; runs on the backend&apos;s device.</source>
        <translation>Segmentiert die Straßen eines Luftbilds mit dem Verfahren Anchor-SAM (SAM2-Hiera-Encoder, mehrskaliger deformierbarer Kontext-Perceiver, bayessche Skip-Verbindungen). Schreibt ein Raster mit Straßenwahrscheinlichkeiten (GeoTIFF, 0 bis 1, auf dem Pixelraster der Eingabe und in deren KBS), Straßenpolygone, wo die Wahrscheinlichkeit den Schwellenwert erreicht, und auf Wunsch Straßenmittellinien.

Kanäle: 3 Kanäle (Rot, Grün, Blau) oder 1 Kanal (Grau); leer bedeutet Kanäle 1, 2, 3. Das Bild wird auf die Bodenauflösung des Modells umgerechnet, sofern Sie keine angeben (Meter pro Pixel; 0 = die des Modells), in überlappenden Kacheln verarbeitet, die ineinander übergeblendet werden, und die Wahrscheinlichkeit wird auf die Pixel der Eingabe zurückgerechnet.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen); „auto“ rechnet auf dem Gerät des Backends.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="98"/>
        <source>Aerial image</source>
        <translation>Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="100"/>
        <source>Bands (3 for red, green, blue, or 1; empty: 1, 2, 3)</source>
        <translation>Kanäle (3 für Rot, Grün, Blau oder 1; leer: 1, 2, 3)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="109"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="124"/>
        <source>PyTorch weights (*.pt *.pth);;All files (*)</source>
        <translation>PyTorch-Gewichte (*.pt *.pth);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="131"/>
        <source>Ground sample distance to run at (metres per pixel, 0: the model&apos;s)</source>
        <translation>Bodenauflösung für die Berechnung (Meter pro Pixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="139"/>
        <source>Tile size (model pixels)</source>
        <translation>Kachelgröße (Modellpixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="146"/>
        <source>Tile overlap (model pixels)</source>
        <translation>Kachelüberlappung (Modellpixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="157"/>
        <source>Device</source>
        <translation>Rechengerät</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="309"/>
        <source>Road probability</source>
        <translation>Straßenwahrscheinlichkeit</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="209"/>
        <source>Road polygons</source>
        <translation>Straßenpolygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="209"/>
        <source>Road centerlines</source>
        <translation>Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="209"/>
        <source>Number of road polygons</source>
        <translation>Anzahl der Straßenpolygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="209"/>
        <source>Number of centerline edges</source>
        <translation>Anzahl der Mittellinienkanten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="254"/>
        <source>The road probability raster is written as GeoTIFF: choose a file name ending in .tif, not {path}.</source>
        <translation>Das Raster mit Straßenwahrscheinlichkeiten wird als GeoTIFF geschrieben: Wählen Sie einen Dateinamen mit der Endung .tif, nicht {path}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="310"/>
        <source>{polygons} road polygon(s), {fraction:.1%} of the valid area is road; model {model} on {device} at {gsd_m:.2f} m per pixel.</source>
        <translation>{polygons} Straßenpolygon(e), {fraction:.1%} der gültigen Fläche sind Straße; Modell {model} auf {device} bei {gsd_m:.2f} m pro Pixel.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="323"/>
        <source>No road reached the threshold. Lower the threshold, check the bands, or set the ground sample distance the model should see.</source>
        <translation>Keine Straße hat den Schwellenwert erreicht. Senken Sie den Schwellenwert, prüfen Sie die Kanäle oder geben Sie die Bodenauflösung an, die das Modell sehen soll.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="114"/>
        <source>Road probability threshold (0 to 1; empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert der Straßenwahrscheinlichkeit (0 bis 1; leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="124"/>
        <source>Own checkpoint for the model</source>
        <translation>Eigener Checkpoint für das Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="161"/>
        <source>Minimum polygon area (m²)</source>
        <translation>Mindestfläche der Polygone (m²)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="168"/>
        <source>Polygon simplify tolerance (metres, 0: none)</source>
        <translation>Toleranz der Polygonvereinfachung (Meter, 0: keine)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/segment_roads.py" line="153"/>
        <source>Test-time augmentation: views of each tile averaged</source>
        <translation>Testzeit-Augmentierung: gemittelte Ansichten jeder Kachel</translation>
    </message>
</context>
</TS>
