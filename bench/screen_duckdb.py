"""DuckDB side of `uplift bench screen` (issue 5): the pack's early-warning rules as SQL over the
same files Uplift reads (registry export formats.md §1, income §2, feeds §3).

Usage: python3 screen_duckdb.py DIR PARAMS_JSON OUT_CSV
Prints `seconds=<wall> peak_rss_kb=<VmHWM>`; writes the (household_no, rule) pairs to OUT_CSV.
The parameters (reference date, windows, thresholds in fen) come from Uplift's policy pack, so both
engines apply the same numbers.
"""

import json
import resource
import sys
import time

try:
    import duckdb
except ImportError:
    sys.stderr.write("DuckDB is missing: pip install duckdb\n")
    sys.exit(3)

d, params, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
t0 = time.monotonic()
con = duckdb.connect()
p = params


def csv(name):
    return f"read_csv('{d}/{name}', header=true, all_varchar=true)"


def fen(col):
    return f"CAST(CAST({col} AS DECIMAL(18,2)) * 100 AS BIGINT)"


def day(col):
    return f"CAST({col} AS DATE)"


AS_OF = f"DATE '{p['as_of']}'"
LOOKBACK = f"DATE '{p['lookback_start']}'"  # exclusive
NEW = f"DATE '{p['new_start']}'"  # exclusive
YEAR_FIRST = f"DATE '{p['year_first']}'"  # inclusive

con.execute(f"""
CREATE TABLE reg AS SELECT household_no AS hno, household_type AS htype, region_code AS region,
  upper(id_number) AS id, relation, labour, TRY_CAST(disability_grade AS INTEGER) AS dgrade,
  strptime(substr(id_number, 7, 8), '%Y%m%d')::DATE AS birth
FROM {csv('registry.csv')}""")
con.execute("""
CREATE TABLE hh AS SELECT hno, any_value(htype) AS htype, any_value(region) AS region,
  count(*) AS members FROM reg GROUP BY hno""")
con.execute("""
CREATE TABLE mw AS SELECT hno, id FROM (
  SELECT hno, id, CASE labour WHEN 'skilled' THEN 0 ELSE 1 END AS skill,
    CASE relation WHEN 'head' THEN 0 WHEN 'spouse' THEN 1 ELSE 2 END AS rel, birth
  FROM reg WHERE labour IN ('skilled', 'ordinary'))
QUALIFY row_number() OVER (PARTITION BY hno ORDER BY skill, rel, birth, id) = 1""")
oop = "- coalesce(" + fen("compliant_out_of_pocket") + ", 0)" if p["deduct_out_of_pocket"] else ""
con.execute(f"""
CREATE TABLE inc AS SELECT hno, net, row_number() OVER (PARTITION BY hno ORDER BY pend DESC) AS rn FROM (
  SELECT household_no AS hno, {day('period_end')} AS pend,
    {fen('wage_income')} + {fen('business_income')} + {fen('property_income')} + {fen('transfer_income')}
      - {fen('production_costs')} {oop} AS net
  FROM {csv('income.csv')} WHERE {day('period_end')} <= {AS_OF})
QUALIFY rn <= 2""")
con.execute("""
CREATE TABLE money AS SELECT h.hno, h.members, c.net AS cur, pr.net AS prev,
  CASE WHEN c.net IS NULL THEN NULL
       ELSE c.net // h.members + CASE WHEN 2 * (c.net % h.members) >= h.members THEN 1 ELSE 0 END END AS pc
FROM hh h LEFT JOIN inc c ON c.hno = h.hno AND c.rn = 1 LEFT JOIN inc pr ON pr.hno = h.hno AND pr.rn = 2""")


def live(files, extra=""):
    """The live rows of a feed: the latest copy of each record_id (by batch), reversals dropped."""
    union = " UNION ALL ".join(f"SELECT {b} AS batch, * FROM {csv(f)}" for b, f in files)
    return f"""(SELECT * FROM ({union}) QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY batch DESC) = 1)
      WHERE coalesce(record_status, '') NOT IN ('冲销', 'reversed') {extra}"""


B = p["batches"]  # file -> batch number
con.execute(f"""
CREATE TABLE med AS SELECT r.hno, sum(m.oop) AS total, max(m.oop) AS top FROM (
  SELECT upper(id_number) AS id, {fen('compliant_out_of_pocket')} AS oop, {day('settlement_date')} AS settled
  FROM {live([(B['medical_1.csv'], 'medical_1.csv'), (B['medical_2.csv'], 'medical_2.csv')])}) m
JOIN reg r ON r.id = m.id WHERE m.settled > {LOOKBACK} AND m.settled <= {AS_OF} GROUP BY r.hno""")

rules = []
rules.append(f"SELECT hno, 'INCOME_BELOW_LINE' AS rule FROM money WHERE pc < {p['line']}")
rules.append(f"SELECT hno, 'INCOME_DROP' FROM money WHERE prev > 0 AND (prev - cur) * 100 > {p['drop_percent']} * prev")
rules.append(f"""SELECT m.hno, 'MEDICAL_PER_STAY' FROM med m JOIN hh h USING (hno)
  WHERE m.top > CASE WHEN h.htype = 'formerly_poor' THEN {p['per_stay_monitored']} ELSE {p['per_stay_other']} END""")
rules.append(f"SELECT hno, 'MEDICAL_12_MONTHS' FROM med WHERE total > {p['focus_total']}")
rules.append(f"""SELECT m.hno, 'MEDICAL_SHARE_OF_INCOME' FROM med m JOIN money USING (hno)
  WHERE money.cur IS NOT NULL AND m.total > 0 AND m.total * 100 > {p['medical_percent']} * greatest(money.cur, 0)""")
rules.append(f"""SELECT r.hno, 'SEVERE_DISABILITY_NEW' FROM (
  SELECT upper(id_number) AS id, CAST(disability_grade AS INTEGER) AS grade, {day('issued_date')} AS issued
  FROM {live([(B['disability.csv'], 'disability.csv')])}) x JOIN reg r ON r.id = x.id
  WHERE x.grade <= {p['severe_max_grade']} AND x.issued > {NEW} AND x.issued <= {AS_OF}
    AND NOT coalesce(r.dgrade <= x.grade, false)""")
rules.append(f"""SELECT r.hno, 'SCHOOL_DROPOUT' FROM (
  SELECT upper(id_number) AS id, status, {day('date')} AS dt, batch, record_id
  FROM {live([(B['education.csv'], 'education.csv')])} AND {day('date')} <= {AS_OF}
  QUALIFY row_number() OVER (PARTITION BY upper(id_number) ORDER BY {day('date')} DESC, batch DESC, record_id DESC) = 1) x
  JOIN reg r ON r.id = x.id WHERE x.status IN ('辍学', 'dropped_out') AND x.dt > {NEW}""")
rules.append(f"""SELECT x.hno, 'HOUSING_UNSAFE' FROM (
  SELECT household_no AS hno, grade FROM {live([(B['housing.csv'], 'housing.csv')])} AND {day('appraisal_date')} <= {AS_OF}
  QUALIFY row_number() OVER (PARTITION BY household_no ORDER BY {day('appraisal_date')} DESC, batch DESC, record_id DESC) = 1) x
  JOIN hh USING (hno) WHERE x.grade IN ({', '.join("'" + g + "'" for g in p['unsafe_grades'])})""")
rules.append(f"""SELECT h.hno, 'WATER_INTERRUPTION' FROM (
  SELECT region_code AS region, sum(date_diff('day', greatest({day('interruption_start')}, {YEAR_FIRST}),
      least({day('interruption_end')}, {AS_OF})) + 1) AS days
  FROM {live([(B['water.csv'], 'water.csv')])}
    AND least({day('interruption_end')}, {AS_OF}) >= greatest({day('interruption_start')}, {YEAR_FIRST})
  GROUP BY region_code) w JOIN hh h ON h.region = w.region WHERE w.days > {p['water_days']}""")
rules.append(f"""SELECT x.hno, 'DISASTER_LOSS' FROM (
  SELECT household_no AS hno, sum({fen('loss_amount')}) AS loss FROM {live([(B['disaster.csv'], 'disaster.csv')])}
    AND {day('date')} > {LOOKBACK} AND {day('date')} <= {AS_OF} GROUP BY household_no) x
  JOIN money USING (hno)
  WHERE x.loss > {p['disaster_min']} OR (money.cur IS NOT NULL AND x.loss * 100 > {p['disaster_percent']} * greatest(money.cur, 0))""")
rules.append(f"""SELECT mw.hno, 'MAIN_WORKER_DEATH' FROM (SELECT * FROM {live([(B['civil_registry.csv'], 'civil_registry.csv')])}
  AND event IN ('死亡', 'death') AND {day('date')} > {NEW} AND {day('date')} <= {AS_OF}) c
  JOIN mw ON mw.id = upper(c.id_number)""")
rules.append(f"""SELECT mw.hno, 'MAIN_WORKER_UNEMPLOYED' FROM (SELECT * FROM {live([(B['employment.csv'], 'employment.csv')])}
  AND event IN ('失业登记', 'unemployed') AND {day('start_date')} <= {AS_OF}
  AND (coalesce(end_date, '') = '' OR {day("nullif(end_date, '')")} > {AS_OF})) e
  JOIN mw ON mw.id = upper(e.id_number)""")
rules.append(f"""SELECT r.hno, 'NEW_SUBSISTENCE' FROM (SELECT * FROM {live([(B['civil_affairs.csv'], 'civil_affairs.csv')])}
  AND assistance_type IN ('低保', 'subsistence', '特困', 'extreme_poverty')
  AND {day('start_date')} > {NEW} AND {day('start_date')} <= {AS_OF}
  AND (coalesce(end_date, '') = '' OR {day("nullif(end_date, '')")} > {AS_OF})) a
  JOIN reg r ON r.id = upper(a.id_number)""")

enabled = set(p["enabled"])
parts = [q for q in rules if q.split("'")[1] in enabled]
con.execute("CREATE TABLE hits AS SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")")
if "EDGE_BAND_WITH_RISK" in enabled:
    con.execute(f"""INSERT INTO hits SELECT DISTINCT m.hno, 'EDGE_BAND_WITH_RISK' FROM money m JOIN hits h USING (hno)
      WHERE m.pc >= {p['line']} AND m.pc < {p['edge']} AND h.rule NOT IN ('INCOME_DROP', 'INCOME_BELOW_LINE')""")
con.execute(f"COPY (SELECT hno, rule FROM hits ORDER BY hno, rule) TO '{out}' (HEADER false)")
seconds = time.monotonic() - t0
# VmHWM of this process image: ru_maxrss would carry the parent's peak across fork and exec.
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
print(f"seconds={seconds:.3f} peak_rss_kb={peak}")
