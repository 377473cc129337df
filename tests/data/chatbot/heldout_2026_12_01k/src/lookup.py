# Lookup helper: dumps OSM street names and GTFS lines/stops to text files for manual reference.
import bz2, csv, io, zipfile
import xml.etree.ElementTree as ET
D="/work/shared/data"
streets=set()
with bz2.open(f"{D}/osm/brasov_all_highways.osm.bz2") as f:
    for ev,el in ET.iterparse(f):
        if el.tag=="way":
            t={x.get("k"):x.get("v") for x in el.findall("tag")}
            if "highway" in t and t.get("name"): streets.add(t["name"])
            el.clear()
        elif el.tag=="node": el.clear()
open("/tmp/k_streets.txt","w").write("\n".join(sorted(streets)))
z=zipfile.ZipFile(f"{D}/gtfs/brasov_ratbv_gtfs.zip")
def rows(n): return list(csv.DictReader(io.TextIOWrapper(z.open(n),"utf-8-sig")))
open("/tmp/k_routes.txt","w").write("\n".join(f'{r["route_short_name"]}\t{r.get("route_long_name","")}' for r in rows("routes.txt")))
open("/tmp/k_stops.txt","w").write("\n".join(sorted({r["stop_name"] for r in rows("stops.txt")})))
