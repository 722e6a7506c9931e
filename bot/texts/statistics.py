"""/统计: response, resolution and satisfaction rates."""

from __future__ import annotations

from collections.abc import Sequence

# --- statistics ------------------------------------------------------------------------------

def percent(numerator: int, denominator: int) -> str:
    if not denominator:
        return "—"
    return f"{numerator * 100 / denominator:.0f}%（{numerator}/{denominator}）"


def stats(period_label: str, *, opened: int, response: tuple[int, int],
          resolution: tuple[int, int], satisfaction: tuple[int, int],
          by_state: Sequence[tuple[str, int]], by_category: Sequence[tuple[str, int]],
          ack_avg: str, ack_p90: str, resolve_avg: str, resolve_p90: str,
          overdue: int, reopened: int, group_complaints: int) -> str:
    lines = [
        f"{period_label}工单统计：新受理 {opened} 件",
        f"响应率 {percent(*response)}　解决率 {percent(*resolution)}　"
        f"满意率 {percent(*satisfaction)}",
        f"签收用时：平均 {ack_avg}，90% 在 {ack_p90} 内",
        f"办结用时：平均 {resolve_avg}，90% 在 {resolve_p90} 内",
        f"超时 {overdue} 件　重新处理 {reopened} 件　群体诉求 {group_complaints} 件",
    ]
    if by_state:
        lines.append("按状态：" + "，".join(f"{s} {n}" for s, n in by_state))
    if by_category:
        lines.append("按类别：" + "，".join(f"{c} {n}" for c, n in by_category))
    return "\n".join(lines)
