"""BI views over the star schema: fact tables joined to their dimensions' names, and NPS as a rate.

The same SQL runs on DuckDB and PostgreSQL. A view is (re)created only when every table it reads
exists, inside the run's transaction, so dashboards never see a view over half-written tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# The periods of the stored feedback as a calendar dimension. Same SQL on DuckDB and PostgreSQL (both
# have isoyear/week/isodow, lpad, window functions, date - date = days). The grain is read from the
# periods: month when every period is a first of the month, week when every one is a Monday, else day.
# `period` is cast: a table first written empty has an untyped column, which EXTRACT cannot bind.
CALENDAR_SQL = """
    WITH p AS (SELECT DISTINCT CAST(period AS DATE) AS period FROM feedback WHERE period IS NOT NULL),
    g AS (SELECT CASE WHEN bool_and(EXTRACT(day FROM period) = 1) THEN 'month'
                      WHEN bool_and(EXTRACT(isodow FROM period) = 1) THEN 'week' ELSE 'day' END AS grain FROM p),
    c AS (
        SELECT p.period, g.grain,
               CAST(EXTRACT(year FROM p.period) AS INTEGER) AS y, CAST(EXTRACT(month FROM p.period) AS INTEGER) AS m,
               CAST(EXTRACT(day FROM p.period) AS INTEGER) AS d, CAST(EXTRACT(isoyear FROM p.period) AS INTEGER) AS iy,
               CAST(EXTRACT(week FROM p.period) AS INTEGER) AS w, CAST(EXTRACT(quarter FROM p.period) AS INTEGER) AS q,
               CAST(CASE g.grain WHEN 'month' THEN p.period + INTERVAL '1 month'
                                 WHEN 'week' THEN p.period + INTERVAL '7 days'
                                 ELSE p.period + INTERVAL '1 day' END AS DATE) AS next_start,
               row_number() OVER (ORDER BY p.period DESC) - 1 AS periods_ago
        FROM p CROSS JOIN g)
    SELECT period, y * 10000 + m * 100 + d AS period_key, grain, next_start - period AS n_days,
           CAST(next_start - 1 AS DATE) AS period_end, y AS year, q AS quarter, m AS month,
           CAST(y AS VARCHAR) || '-' || lpad(CAST(m AS VARCHAR), 2, '0') AS month_iso,
           CAST(y AS VARCHAR) || '年' || CAST(m AS VARCHAR) || '月' AS month_zh,
           iy AS iso_year, w AS iso_week,
           CAST(iy AS VARCHAR) || '-W' || lpad(CAST(w AS VARCHAR), 2, '0') AS week_iso,
           CAST(iy AS VARCHAR) || '年第' || CAST(w AS VARCHAR) || '周' AS week_zh,
           CASE grain WHEN 'month' THEN CAST(y AS VARCHAR) || '-' || lpad(CAST(m AS VARCHAR), 2, '0')
                      WHEN 'week' THEN CAST(iy AS VARCHAR) || '-W' || lpad(CAST(w AS VARCHAR), 2, '0')
                      ELSE CAST(period AS VARCHAR) END AS label_iso,
           CASE grain WHEN 'month' THEN CAST(y AS VARCHAR) || '年' || CAST(m AS VARCHAR) || '月'
                      WHEN 'week' THEN CAST(iy AS VARCHAR) || '年第' || CAST(w AS VARCHAR) || '周'
                      ELSE CAST(y AS VARCHAR) || '年' || CAST(m AS VARCHAR) || '月' || CAST(d AS VARCHAR) || '日' END
               AS label_zh,
           periods_ago, periods_ago = 0 AS is_latest, periods_ago = 1 AS is_previous
    FROM c"""

# view name -> (tables, or table.column where a column may be absent, that it reads; SELECT)
VIEWS: dict[str, tuple[tuple[str, ...], str]] = {
    "v_category_counts": (("fact_category_counts", "dim_category"), """
        SELECT f.*, c.name AS category_name, c.path AS category_path, c.severity
        FROM fact_category_counts f LEFT JOIN dim_category c ON c.category_id = f.category_id"""),
    "v_department_counts": (("fact_department_counts", "dim_department", "dim_category"), """
        SELECT f.*, d.name AS department_name, c.name AS category_name
        FROM fact_department_counts f
        LEFT JOIN dim_department d ON d.department_id = f.department_id
        LEFT JOIN dim_category c ON c.category_id = f.category_id"""),
    "v_nps": (("fact_feedback_volume",), """
        SELECT period, channel, vehicle_model, region, feedback, nps_responses, promoters, passives, detractors,
               CASE WHEN nps_responses > 0
                    THEN 100.0 * (promoters - detractors) / nps_responses END AS nps
        FROM fact_feedback_volume"""),
    "v_nps_drivers": (("fact_nps_drivers", "dim_category"), """
        SELECT f.*, c.name AS category_name
        FROM fact_nps_drivers f LEFT JOIN dim_category c ON c.category_id = f.category_id"""),
    "v_nps_change": (("fact_nps_change", "dim_category"), """
        SELECT f.*, coalesce(c.name, '其他/未解释 (remainder)') AS category_name
        FROM fact_nps_change f LEFT JOIN dim_category c ON c.category_id = f.category_id"""),
    "v_department_attribution": (("fact_department_attribution", "dim_department"), """
        SELECT f.*, d.name AS department_name
        FROM fact_department_attribution f LEFT JOIN dim_department d ON d.department_id = f.department_id"""),
    "v_leaderboard": (("fact_leaderboard", "dim_department"), """
        SELECT f.*, d.name AS department_name
        FROM fact_leaderboard f LEFT JOIN dim_department d ON d.department_id = f.department_id"""),
    "v_loss": (("fact_loss", "dim_category", "dim_department"), """
        SELECT f.*, c.name AS category_name, d.name AS department_name
        FROM fact_loss f
        LEFT JOIN dim_category c ON c.category_id = f.category_id
        LEFT JOIN dim_department d ON d.department_id = f.department_id"""),
    "v_competitor_benchmark": (("fact_competitor_benchmark", "dim_category"), """
        SELECT f.*, c.name AS category_name
        FROM fact_competitor_benchmark f LEFT JOIN dim_category c ON c.category_id = f.category_id"""),
    "v_alerts": (("alerts", "dim_category"), """
        SELECT a.*, c.name AS category_name
        FROM alerts a LEFT JOIN dim_category c ON c.category_id = a.category_id"""),
    "v_alert_status": (("alert_status", "alerts", "dim_category"), """
        SELECT s.*, a.vehicle_model, a.vehicle_id, a.dealer, a.region, a.channel, a.text, c.name AS category_name
        FROM alert_status s JOIN alerts a ON a.alert_id = s.alert_id
        LEFT JOIN dim_category c ON c.category_id = s.category_id"""),
    "v_loss_by_period": (("fact_loss.total_loss_period", "dim_category", "dim_department"), """
        SELECT f.period, f.category_id, c.name AS category_name, f.department_id, d.name AS department_name, f.n_days,
               f.total_loss_period, f.total_loss AS total_loss_annual_rate,
               f.total_loss_period / 10000.0 AS total_loss_period_wan, f.total_loss / 10000.0 AS total_loss_annual_rate_wan
        FROM fact_loss f
        LEFT JOIN dim_category c ON c.category_id = f.category_id
        LEFT JOIN dim_department d ON d.department_id = f.department_id"""),
    "dim_calendar": (("feedback.period",), CALENDAR_SQL),
    "dim_channel": (("feedback.channel",), "SELECT DISTINCT channel FROM feedback"),
    "dim_vehicle_model": (("feedback.vehicle_model", "feedback.brand"), """
        SELECT DISTINCT coalesce(vehicle_model, '未知') AS vehicle_model, brand FROM feedback"""),
    "dim_region": (("feedback.region",), "SELECT DISTINCT coalesce(region, '未知') AS region FROM feedback"),
    "dim_dealer": (("feedback.dealer", "feedback.region"), """
        SELECT DISTINCT dealer, coalesce(region, '未知') AS region FROM feedback WHERE dealer IS NOT NULL"""),
}


def create_views(execute: Callable[[str], object], tables: Iterable[str]) -> list[str]:
    """(Re)create every view whose tables exist.

    Args:
        execute: runs one SQL statement in the caller's transaction.
        tables: names of the tables that exist now, and `table.column` for each of their columns.

    Returns:
        The names of the views created.
    """
    have = set(tables)
    made = []
    for name, (needs, select) in VIEWS.items():
        execute(f'DROP VIEW IF EXISTS "{name}"')
        if set(needs) <= have:
            execute(f'CREATE VIEW "{name}" AS {select}')
            made.append(name)
    return made
