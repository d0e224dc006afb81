"""BI views over the star schema: fact tables joined to their dimensions' names, and NPS as a rate.

The same SQL runs on DuckDB and PostgreSQL. A view is (re)created only when every table it reads
exists, inside the run's transaction, so dashboards never see a view over half-written tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

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
