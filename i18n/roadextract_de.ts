<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin/main.py" line="37"/>
        <source>Starting the RoadExtract backend</source>
        <translation>RoadExtract-Backend wird gestartet</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="401"/>
        <source>Start of the RoadExtract backend was cancelled.</source>
        <translation>Der Start des RoadExtract-Backends wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="98"/>
        <source>RoadExtract</source>
        <translation>RoadExtract</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="103"/>
        <source>Settings…</source>
        <translation>Einstellungen…</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="103"/>
        <source>Backend Python, device, model folder and port of RoadExtract</source>
        <translation>Backend-Python, Rechengerät, Modellordner und Port von RoadExtract</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="110"/>
        <source>Start backend</source>
        <translation>Backend starten</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="110"/>
        <source>Start the RoadExtract backend, or connect to one that is running</source>
        <translation>Das RoadExtract-Backend starten oder mit einem laufenden verbinden</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="117"/>
        <source>Stop backend</source>
        <translation>Backend beenden</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="117"/>
        <source>Stop the backend this QGIS started</source>
        <translation>Das von diesem QGIS gestartete Backend beenden</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="124"/>
        <source>Backend status</source>
        <translation>Backend-Status</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="124"/>
        <source>Show whether a backend runs, and on which device (CPU or GPU)</source>
        <translation>Anzeigen, ob ein Backend läuft und auf welchem Gerät (CPU oder GPU)</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="189"/>
        <source>Settings saved. Stop and start the backend to apply them.</source>
        <translation>Einstellungen gespeichert. Beenden und starten Sie das Backend, damit sie wirksam werden.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="202"/>
        <source>Starting the RoadExtract backend…</source>
        <translation>RoadExtract-Backend wird gestartet…</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="208"/>
        <source>Backend ready on {device}.</source>
        <translation>Backend bereit auf {device}.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="219"/>
        <source>The RoadExtract backend was stopped.</source>
        <translation>Das RoadExtract-Backend wurde beendet.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="222"/>
        <source>The running backend was not started by this QGIS (it was started with `make serve` or by another QGIS); stop it where it was started.</source>
        <translation>Das laufende Backend wurde nicht von diesem QGIS gestartet (sondern mit `make serve` oder von einem anderen QGIS); beenden Sie es dort, wo es gestartet wurde.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="230"/>
        <source>No RoadExtract backend is running.</source>
        <translation>Es läuft kein RoadExtract-Backend.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="237"/>
        <source>No RoadExtract backend is running. Start one with Raster &gt; RoadExtract &gt; Start backend, or with `make serve` in the plugin folder.

Backend Python: {python}
State folder: {state_dir}</source>
        <translation>Es läuft kein RoadExtract-Backend. Starten Sie eines mit Raster &gt; RoadExtract &gt; Backend starten oder mit `make serve` im Plugin-Ordner.

Backend-Python: {python}
Statusordner: {state_dir}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="247"/>
        <source>Backend: {url} (version {version})</source>
        <translation>Backend: {url} (Version {version})</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="248"/>
        <source>Device: {device}</source>
        <translation>Gerät: {device}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="249"/>
        <source>PyTorch: {version}</source>
        <translation>PyTorch: {version}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="249"/>
        <source>not installed</source>
        <translation>nicht installiert</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="250"/>
        <source>Started by: {who}</source>
        <translation>Gestartet von: {who}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="250"/>
        <source>this QGIS</source>
        <translation>diesem QGIS</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="250"/>
        <source>someone else (make serve)</source>
        <translation>jemand anderem (make serve)</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="253"/>
        <source>State file: {path}</source>
        <translation>Statusdatei: {path}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="256"/>
        <source>Log: {path}</source>
        <translation>Protokoll: {path}</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="269"/>
        <source>RoadExtract backend</source>
        <translation>RoadExtract-Backend</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="35"/>
        <source>RoadExtract settings</source>
        <translation>RoadExtract-Einstellungen</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="40"/>
        <source>Python of the backend environment</source>
        <translation>Python der Backend-Umgebung</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="73"/>
        <source>Default: {path}</source>
        <translation>Standard: {path}</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="46"/>
        <source>Automatic (CUDA, then MPS, then CPU)</source>
        <translation>Automatisch (CUDA, dann MPS, dann CPU)</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="46"/>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="46"/>
        <source>CUDA (NVIDIA GPU)</source>
        <translation>CUDA (NVIDIA-GPU)</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="46"/>
        <source>MPS (Apple GPU)</source>
        <translation>MPS (Apple-GPU)</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="56"/>
        <source>Folder with model checkpoints</source>
        <translation>Ordner mit Modell-Checkpoints</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="57"/>
        <source>Default: the backend&apos;s model folder</source>
        <translation>Standard: der Modellordner des Backends</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="63"/>
        <source>Automatic (a free port)</source>
        <translation>Automatisch (ein freier Port)</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="68"/>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="72"/>
        <source>Folder of the backend state file</source>
        <translation>Ordner der Backend-Statusdatei</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="82"/>
        <source>Backend Python</source>
        <translation>Backend-Python</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="83"/>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="84"/>
        <source>Model folder</source>
        <translation>Modellordner</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="85"/>
        <source>Port</source>
        <translation>Port</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="86"/>
        <source>Start-up timeout</source>
        <translation>Zeitlimit für den Start</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="87"/>
        <source>State folder</source>
        <translation>Statusordner</translation>
    </message>
    <message>
        <location filename="../plugin/settings_dialog.py" line="89"/>
        <source>Create the backend environment with `make install` in the plugin folder, or point Backend Python to any Python that has the backend dependencies. Changes apply the next time the plugin starts a backend; a backend that is already running (also one started by hand with `make serve`) is used as is.</source>
        <translation>Erstellen Sie die Backend-Umgebung mit `make install` im Plugin-Ordner, oder wählen Sie als Backend-Python ein beliebiges Python, in dem die Abhängigkeiten des Backends installiert sind. Änderungen gelten ab dem nächsten Backend-Start durch das Plugin; ein bereits laufendes Backend (auch eines, das von Hand mit `make serve` gestartet wurde) wird unverändert verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="165"/>
        <source>The RoadExtract backend Python was not found: {python}. Run `make install` in the plugin folder ({root}) to create it, or set the backend Python in Raster &gt; RoadExtract &gt; Settings. A backend started by hand with `make serve` is used as is.</source>
        <translation>Das Python des RoadExtract-Backends wurde nicht gefunden: {python}. Führen Sie `make install` im Plugin-Ordner ({root}) aus, um es anzulegen, oder legen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen fest. Ein von Hand mit `make serve` gestartetes Backend wird unverändert verwendet.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="303"/>
        <source>The backend sources are missing from the plugin folder ({path}). Reinstall the RoadExtract plugin.</source>
        <translation>Die Quelltexte des Backends fehlen im Plugin-Ordner ({path}). Installieren Sie das RoadExtract-Plugin neu.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="313"/>
        <source>Cannot create the backend state folder {path}: {error}. Choose another state folder in Raster &gt; RoadExtract &gt; Settings.</source>
        <translation>Der Statusordner des Backends {path} kann nicht angelegt werden: {error}. Wählen Sie unter Raster &gt; RoadExtract &gt; Einstellungen einen anderen Statusordner.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="323"/>
        <source>Starting the RoadExtract backend: {command}</source>
        <translation>RoadExtract-Backend wird gestartet: {command}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="345"/>
        <source>Cannot run the backend Python {python}: {error}. Run `make install` in the plugin folder ({root}) or set the backend Python in Raster &gt; RoadExtract &gt; Settings.</source>
        <translation>Das Backend-Python {python} kann nicht ausgeführt werden: {error}. Führen Sie `make install` im Plugin-Ordner ({root}) aus oder legen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen fest.</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="380"/>
        <source>The RoadExtract backend stopped during start-up (exit code {code}). If a module is missing, run `make install` in the plugin folder ({root}) or set the backend Python in Raster &gt; RoadExtract &gt; Settings. Last lines of its log ({log}):
{tail}</source>
        <translation>Das RoadExtract-Backend hat sich beim Start beendet (Exit-Code {code}). Fehlt ein Modul, führen Sie `make install` im Plugin-Ordner ({root}) aus oder legen Sie das Backend-Python unter Raster &gt; RoadExtract &gt; Einstellungen fest. Letzte Zeilen seines Protokolls ({log}):
{tail}</translation>
    </message>
    <message>
        <location filename="../plugin/backend_process.py" line="406"/>
        <source>The RoadExtract backend did not answer within {timeout_s:.0f} s and was stopped. Raise the start-up timeout in Raster &gt; RoadExtract &gt; Settings, or start it by hand with `make serve` and try again. Last lines of its log ({log}):
{tail}</source>
        <translation>Das RoadExtract-Backend hat nicht innerhalb von {timeout_s:.0f} s geantwortet und wurde beendet. Erhöhen Sie das Zeitlimit für den Start unter Raster &gt; RoadExtract &gt; Einstellungen, oder starten Sie es von Hand mit `make serve` und versuchen Sie es erneut. Letzte Zeilen seines Protokolls ({log}):
{tail}</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="80"/>
        <source>, {free:.0f} of {total:.0f} MiB GPU memory free</source>
        <translation>, {free:.0f} von {total:.0f} MiB GPU-Speicher frei</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="196"/>
        <source>The RoadExtract backend at {url} does not answer ({error}).</source>
        <translation>Das RoadExtract-Backend unter {url} antwortet nicht ({error}).</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="206"/>
        <source>The RoadExtract backend sent an answer that is not JSON ({path}).</source>
        <translation>Das RoadExtract-Backend hat eine Antwort gesendet, die kein JSON ist ({path}).</translation>
    </message>
    <message>
        <location filename="../plugin/client.py" line="274"/>
        <source>HTTP {status} from the RoadExtract backend: {text}</source>
        <translation>HTTP {status} vom RoadExtract-Backend: {text}</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="98"/>
        <source>The pixel size must be positive, got {gsd}.</source>
        <translation>Die Pixelgröße muss positiv sein, erhalten: {gsd}.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="104"/>
        <source>Layer {name} has no native resolution (web service). Give a pixel size, or save the layer as a GeoTIFF first (right click &gt; Export &gt; Save As).</source>
        <translation>Der Layer {name} hat keine eigene Auflösung (Webdienst). Geben Sie eine Pixelgröße an, oder speichern Sie den Layer zuerst als GeoTIFF (Rechtsklick &gt; Exportieren &gt; Speichern als…).</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="113"/>
        <source>Export of layer {name} would be {width} x {height} pixels; use a smaller extent or a larger pixel size (at most {limit} pixels per side).</source>
        <translation>Der Export des Layers {name} hätte {width} x {height} Pixel; verwenden Sie eine kleinere Ausdehnung oder eine größere Pixelgröße (höchstens {limit} Pixel je Seite).</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="153"/>
        <source>The raster layer is not valid.</source>
        <translation>Der Rasterlayer ist ungültig.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="162"/>
        <source>Cannot read layer {name}.</source>
        <translation>Der Layer {name} kann nicht gelesen werden.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="364"/>
        <source>The export of layer {name} was cancelled.</source>
        <translation>Der Export des Layers {name} wurde abgebrochen.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="184"/>
        <source>Cannot export layer {name} to {path} (error {code}).</source>
        <translation>Der Layer {name} kann nicht nach {path} exportiert werden (Fehler {code}).</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="253"/>
        <source>Layer {layer} not found in {path}.</source>
        <translation>Layer {layer} nicht in {path} gefunden.</translation>
    </message>
    <message>
        <location filename="../processing_provider/provider.py" line="39"/>
        <source>RoadExtract: roads and objects from aerial imagery</source>
        <translation>RoadExtract: Straßen und Objekte aus Luftbildern</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="306"/>
        <source>The RoadExtract backend refused the job: {detail}</source>
        <translation>Das RoadExtract-Backend hat den Auftrag abgelehnt: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="308"/>
        <source>Backend job {job_id} ({kind}) created.</source>
        <translation>Backend-Auftrag {job_id} ({kind}) angelegt.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="317"/>
        <source>Cancelled; nothing was written.</source>
        <translation>Abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="329"/>
        <source>The backend job was cancelled; nothing was written.</source>
        <translation>Der Backend-Auftrag wurde abgebrochen; es wurde nichts geschrieben.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="333"/>
        <source>The backend job failed: {error}</source>
        <translation>Der Backend-Auftrag ist fehlgeschlagen: {error}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="313"/>
        <source>The RoadExtract backend reported an error: {detail}</source>
        <translation>Das RoadExtract-Backend hat einen Fehler gemeldet: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="344"/>
        <source>Cancelling backend job {job_id} ...</source>
        <translation>Backend-Auftrag {job_id} wird abgebrochen …</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="352"/>
        <source>Could not confirm the cancellation: {detail}</source>
        <translation>Der Abbruch konnte nicht bestätigt werden: {detail}</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="414"/>
        <source>The backend wrote {layer} in {crs}, not in the layer CRS {layer_crs}.</source>
        <translation>Das Backend hat {layer} in {crs} geschrieben, nicht im KBS des Layers {layer_crs}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="507"/>
        <source>{detail} Start it again (Raster &gt; RoadExtract &gt; Start backend, or `make serve` in the plugin folder) and run the algorithm again.</source>
        <translation>{detail} Starten Sie es erneut (Raster &gt; RoadExtract &gt; Backend starten oder `make serve` im Plugin-Ordner) und führen Sie den Algorithmus noch einmal aus.</translation>
    </message>
    <message>
        <location filename="../plugin/main.py" line="259"/>
        <source>Warning: the backend is version {backend}, the plugin {plugin}; stop the backend and start it from the plugin to use the matching one.</source>
        <translation>Warnung: Das Backend hat die Version {backend}, das Plugin {plugin}; beenden Sie das Backend und starten Sie es aus dem Plugin, um das passende zu verwenden.</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="372"/>
        <source>Cannot export layer {name} to {path}: {error}</source>
        <translation>Der Layer {name} kann nicht nach {path} exportiert werden: {error}</translation>
    </message>
    <message>
        <location filename="../plugin/layers.py" line="413"/>
        <source>The vector layer is not valid.</source>
        <translation>Der Vektorlayer ist ungültig.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="194"/>
        <source>Input raster {path} does not exist.</source>
        <translation>Das Eingaberaster {path} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="195"/>
        <source>{path} is not a raster that QGIS (GDAL) can open.</source>
        <translation>{path} ist kein Raster, das QGIS (GDAL) öffnen kann.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="210"/>
        <source>Raster {name} has no coordinate reference system. Assign one (Raster &gt; Projections &gt; Assign Projection, or the layer properties) and run again.</source>
        <translation>Das Raster {name} hat kein Koordinatenbezugssystem. Weisen Sie eines zu (Raster &gt; Projektionen &gt; Projektion zuweisen oder in den Layereigenschaften) und starten Sie erneut.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="227"/>
        <source>Band {band} does not exist; raster {name} has {count} band(s).</source>
        <translation>Kanal {band} existiert nicht; das Raster {name} hat {count} Kanal/Kanäle.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="256"/>
        <source>Layer {name} is not a local file; exported it to {path}.</source>
        <translation>Der Layer {name} ist keine lokale Datei; er wurde nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/base.py" line="107"/>
        <source>Roads</source>
        <translation>Straßen</translation>
    </message>
</context>
<context>
    <name>EvaluateRoadGraph</name>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="62"/>
        <source>Evaluate road graph</source>
        <translation>Straßengraph bewerten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="66"/>
        <source>road,graph,centerline,evaluate,metric,accuracy,apls,topo</source>
        <translation>Straße,Graph,Mittellinie,bewerten,Metrik,Genauigkeit,APLS,TOPO</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="70"/>
        <source>Scores proposed road centerlines against ground-truth centerlines with two graph metrics, each between 0 (nothing right) and 1 (identical):

APLS (average path length similarity) compares the lengths of shortest paths between control points placed along the roads every &apos;control point spacing&apos; metres, in both directions (ground truth to proposal and back); a control point snaps onto the other graph within the snap buffer.

TOPO samples the roads every &apos;interval&apos; metres out to &apos;maximum distance&apos; metres from random seed locations and matches samples within the match radius: precision, recall and F1.

Lines are turned into graphs first; line ends closer than the snap tolerance are joined. Both layers are measured in metres, in the ground truth&apos;s CRS when it is projected in metres, else in its UTM zone; the proposal may be in any CRS. Layers that are not local files (memory layers, selections, database tables) are exported to a temporary GeoPackage first.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings).</source>
        <translation>Bewertet vorgeschlagene Straßenmittellinien anhand von Referenz-Mittellinien mit zwei Graphmetriken, jeweils zwischen 0 (nichts stimmt) und 1 (identisch):

APLS (Average Path Length Similarity) vergleicht die Längen kürzester Wege zwischen Kontrollpunkten, die im Abstand des Kontrollpunktabstands (Meter) entlang der Straßen gesetzt werden, in beide Richtungen (Referenz zu Vorschlag und zurück); ein Kontrollpunkt rastet innerhalb des Fangpuffers auf dem anderen Graphen ein.

TOPO tastet die Straßen im Abstand des Intervalls (Meter) bis zur maximalen Entfernung (Meter) von zufälligen Startorten ab und ordnet Abtastpunkte innerhalb des Zuordnungsradius einander zu: Präzision, Trefferquote (Recall) und F1.

Die Linien werden zuerst in Graphen umgewandelt; Linienenden, die näher als die Fangtoleranz beieinander liegen, werden verbunden. Beide Layer werden in Metern gemessen, im KBS der Referenz, wenn es in Metern projiziert ist, sonst in deren UTM-Zone; der Vorschlag darf in einem beliebigen KBS vorliegen. Layer, die keine lokalen Dateien sind (temporäre Layer, Auswahlen, Datenbanktabellen), werden zuerst in ein temporäres GeoPackage exportiert.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="92"/>
        <source>Ground-truth road centerlines</source>
        <translation>Referenz-Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="99"/>
        <source>Proposed road centerlines</source>
        <translation>Vorgeschlagene Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="106"/>
        <source>APLS control point spacing (metres)</source>
        <translation>APLS-Kontrollpunktabstand (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="106"/>
        <source>APLS snap buffer (metres)</source>
        <translation>APLS-Fangpuffer (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="106"/>
        <source>TOPO match radius (metres)</source>
        <translation>TOPO-Zuordnungsradius (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="106"/>
        <source>TOPO sample interval (metres)</source>
        <translation>TOPO-Abtastintervall (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="106"/>
        <source>TOPO maximum distance from a seed (metres)</source>
        <translation>TOPO-Höchstentfernung vom Startort (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="144"/>
        <source>TOPO seed locations</source>
        <translation>TOPO-Startorte</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="151"/>
        <source>Random seed</source>
        <translation>Startwert des Zufallsgenerators</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="157"/>
        <source>Join line ends closer than (metres)</source>
        <translation>Linienenden verbinden, die näher sind als (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="168"/>
        <source>Report (JSON)</source>
        <translation>Bericht (JSON)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="168"/>
        <source>JSON files (*.json)</source>
        <translation>JSON-Dateien (*.json)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>APLS</source>
        <translation>APLS</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>APLS, ground truth to proposal</source>
        <translation>APLS, Referenz zu Vorschlag</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>APLS, proposal to ground truth</source>
        <translation>APLS, Vorschlag zu Referenz</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>TOPO precision</source>
        <translation>TOPO-Präzision</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>TOPO recall</source>
        <translation>TOPO-Trefferquote (Recall)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="177"/>
        <source>TOPO F1</source>
        <translation>TOPO-F1</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="198"/>
        <source>The folder of the report {path} does not exist; create it first.</source>
        <translation>Der Ordner des Berichts {path} existiert nicht; legen Sie ihn zuerst an.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="280"/>
        <source>Layer {name} has no features (with &apos;Selected features only&apos;: nothing is selected).</source>
        <translation>Der Layer {name} hat keine Objekte (bei „Nur gewählte Objekte“: es ist nichts ausgewählt).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="298"/>
        <source>Layer {name} was exported to {path} for the backend.</source>
        <translation>Der Layer {name} wurde für das Backend nach {path} exportiert.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/evaluate_road_graph.py" line="309"/>
        <source>APLS: {apls:.3f} (ground truth to proposal {gt_to_prop:.3f}, proposal to ground truth {prop_to_gt:.3f})
TOPO: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}
Ground truth: {gt_edges} edge(s), {gt_km:.2f} km; proposal: {prop_edges} edge(s), {prop_km:.2f} km (measured in {crs}).</source>
        <translation>APLS: {apls:.3f} (Referenz zu Vorschlag {gt_to_prop:.3f}, Vorschlag zu Referenz {prop_to_gt:.3f})
TOPO: Präzision {precision:.3f}, Trefferquote {recall:.3f}, F1 {f1:.3f}
Referenz: {gt_edges} Kante(n), {gt_km:.2f} km; Vorschlag: {prop_edges} Kante(n), {prop_km:.2f} km (gemessen in {crs}).</translation>
    </message>
</context>
<context>
    <name>ExtractRoadGraph</name>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="63"/>
        <source>Extract road graph (LineGraph2Road)</source>
        <translation>Straßengraph extrahieren (LineGraph2Road)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="67"/>
        <source>road,graph,centerline,network,extract,detect,linegraph2road,deep learning,aerial</source>
        <translation>Straße,Graph,Mittellinie,Netz,extrahieren,erkennen,LineGraph2Road,Deep Learning,Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="73"/>
        <source>Extracts the road network of an aerial image as a graph with the LineGraph2Road method: road centerline edges (with the model&apos;s connection probability and their length in metres) and the graph&apos;s nodes (degree, keypoint and overpass flags, score), both in the raster&apos;s CRS.

Bands: 3 bands (red, green, blue) or 1 band (grey); empty means bands 1, 2, 3. Model: the id of a LineGraph2Road model the backend knows (a wrong id fails with the list of known ones); a checkpoint file replaces its weights with your own. The image is resampled to the model&apos;s ground sample distance unless you give one (metres per pixel; 0 = the model&apos;s).

The image is processed in sliding windows (0 = the model&apos;s window size) that overlap by more than the 64 pixel candidate-edge radius. Edges below the edge threshold are dropped; the keypoint and road thresholds steer which vertices are found. &apos;Merge chains&apos; joins runs of edges through degree-2 nodes into longer lines.

The work runs in the RoadExtract backend, which is started on first use (see Raster &gt; RoadExtract &gt; Settings); &apos;auto&apos; runs on the backend&apos;s device.</source>
        <translation>Extrahiert das Straßennetz eines Luftbilds als Graph mit dem Verfahren LineGraph2Road: Kanten entlang der Straßenmittellinien (mit der Verbindungswahrscheinlichkeit des Modells und ihrer Länge in Metern) und die Knoten des Graphen (Grad, Kennzeichen für Schlüsselpunkt und Überführung, Bewertung), beide im KBS des Rasters.

Kanäle: 3 Kanäle (Rot, Grün, Blau) oder 1 Kanal (Grau); leer bedeutet Kanäle 1, 2, 3. Modell: die Kennung eines LineGraph2Road-Modells, das das Backend kennt (eine falsche Kennung schlägt mit der Liste der bekannten fehl); eine Checkpoint-Datei ersetzt seine Gewichte durch eigene. Das Bild wird auf die Bodenauflösung des Modells umgerechnet, sofern Sie keine angeben (Meter pro Pixel; 0 = die des Modells).

Das Bild wird in gleitenden Fenstern verarbeitet (0 = Fenstergröße des Modells), die sich um mehr als den Kandidatenkanten-Radius von 64 Pixeln überlappen. Kanten unter dem Kantenschwellenwert werden verworfen; die Schwellenwerte für Schlüsselpunkte und Straßen steuern, welche Eckpunkte gefunden werden. „Ketten zusammenfassen“ verbindet Folgen von Kanten über Knoten vom Grad 2 zu längeren Linien.

Die Berechnung läuft im RoadExtract-Backend, das bei der ersten Verwendung gestartet wird (siehe Raster &gt; RoadExtract &gt; Einstellungen); „auto“ rechnet auf dem Gerät des Backends.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="94"/>
        <source>Aerial image</source>
        <translation>Luftbild</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="95"/>
        <source>Bands (3 for red, green, blue, or 1; empty: 1, 2, 3)</source>
        <translation>Kanäle (3 für Rot, Grün, Blau oder 1; leer: 1, 2, 3)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="104"/>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="111"/>
        <source>Own checkpoint for the model (optional)</source>
        <translation>Eigener Checkpoint für das Modell (optional)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="111"/>
        <source>PyTorch weights (*.pt *.pth);;All files (*)</source>
        <translation>PyTorch-Gewichte (*.pt *.pth);;Alle Dateien (*)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="120"/>
        <source>Edge probability threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert der Kantenwahrscheinlichkeit (leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="130"/>
        <source>Merge chains of edges through degree-2 nodes</source>
        <translation>Ketten von Kanten über Knoten vom Grad 2 zusammenfassen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="138"/>
        <source>Ground sample distance to run at (metres per pixel, 0: the model&apos;s)</source>
        <translation>Bodenauflösung für die Berechnung (Meter pro Pixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="146"/>
        <source>Window size (model pixels, 0: the model&apos;s)</source>
        <translation>Fenstergröße (Modellpixel, 0: die des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="155"/>
        <source>Window overlap (model pixels, more than 64)</source>
        <translation>Fensterüberlappung (Modellpixel, mehr als 64)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="178"/>
        <source>Device</source>
        <translation>Rechengerät</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="193"/>
        <source>Road graph edges</source>
        <translation>Kanten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="193"/>
        <source>Road graph nodes</source>
        <translation>Knoten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="193"/>
        <source>Number of edges</source>
        <translation>Anzahl der Kanten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="193"/>
        <source>Number of nodes</source>
        <translation>Anzahl der Knoten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="216"/>
        <source>Choose at least one output (edges or nodes).</source>
        <translation>Wählen Sie mindestens eine Ausgabe (Kanten oder Knoten).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="230"/>
        <source>Choose 3 bands (red, green, blue) or 1 band (grey), not {count}.</source>
        <translation>Wählen Sie 3 Kanäle (Rot, Grün, Blau) oder 1 Kanal (Grau), nicht {count}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="238"/>
        <source>Checkpoint {path} does not exist.</source>
        <translation>Der Checkpoint {path} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="281"/>
        <source>{edges} edge(s), {nodes} node(s), {length_km:.2f} km of road; model {model} on {device} at {gsd_m:.2f} m per pixel.</source>
        <translation>{edges} Kante(n), {nodes} Knoten, {length_km:.2f} km Straße; Modell {model} auf {device} bei {gsd_m:.2f} m pro Pixel.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="295"/>
        <source>No road edges were found. Lower the edge, keypoint and road thresholds, check the bands, or set the ground sample distance the model should see.</source>
        <translation>Es wurden keine Straßenkanten gefunden. Senken Sie die Schwellenwerte für Kanten, Schlüsselpunkte und Straßen, prüfen Sie die Kanäle oder geben Sie die Bodenauflösung an, die das Modell sehen soll.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="335"/>
        <source>Unknown model {model}; the backend has: {choices}.</source>
        <translation>Unbekanntes Modell {model}; das Backend hat: {choices}.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="341"/>
        <source>The weights of model {model} are not installed. {how_to_install} Or give a checkpoint file of your own.</source>
        <translation>Die Gewichte des Modells {model} sind nicht installiert. {how_to_install} Oder geben Sie eine eigene Checkpoint-Datei an.</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="162"/>
        <source>Keypoint threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert für Schlüsselpunkte (leer: der validierte Wert des Modells)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/extract_road_graph.py" line="170"/>
        <source>Road threshold (empty: the model&apos;s validated value)</source>
        <translation>Schwellenwert für Straßen (leer: der validierte Wert des Modells)</translation>
    </message>
</context>
<context>
    <name>RoadMaskToVectors</name>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="52"/>
        <source>Road mask to vectors</source>
        <translation>Straßenmaske zu Vektoren</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="56"/>
        <source>road,mask,vectorize,polygonize,skeleton,centerline,graph</source>
        <translation>Straße,Maske,vektorisieren,polygonisieren,Skelett,Mittellinie,Graph</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="60"/>
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
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="83"/>
        <source>Band</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="92"/>
        <source>Threshold (values scaled to 0..1)</source>
        <translation>Schwellenwert (Werte auf 0..1 skaliert)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="102"/>
        <source>Polygon simplify tolerance</source>
        <translation>Vereinfachungstoleranz der Polygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="111"/>
        <source>Minimum polygon area (square map units)</source>
        <translation>Mindestfläche der Polygone (Quadrat-Karteneinheiten)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="120"/>
        <source>Prune centerline spurs shorter than (metres)</source>
        <translation>Mittellinien-Ausläufer entfernen, die kürzer sind als (Meter)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="129"/>
        <source>Processing window size (pixels)</source>
        <translation>Größe des Verarbeitungsfensters (Pixel)</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Road polygons</source>
        <translation>Straßenpolygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Road centerlines</source>
        <translation>Straßenmittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Road graph nodes</source>
        <translation>Knoten des Straßengraphen</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Number of polygons</source>
        <translation>Anzahl der Polygone</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Number of centerlines</source>
        <translation>Anzahl der Mittellinien</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="143"/>
        <source>Number of nodes</source>
        <translation>Anzahl der Knoten</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="175"/>
        <source>Choose at least one output (polygons, centerlines or nodes).</source>
        <translation>Wählen Sie mindestens eine Ausgabe (Polygone, Mittellinien oder Knoten).</translation>
    </message>
    <message>
        <location filename="../processing_provider/algorithms/road_mask_to_vectors.py" line="224"/>
        <source>{polygons} polygon(s), {edges} centerline(s), {nodes} node(s).</source>
        <translation>{polygons} Polygon(e), {edges} Mittellinie(n), {nodes} Knoten.</translation>
    </message>
</context>
</TS>
