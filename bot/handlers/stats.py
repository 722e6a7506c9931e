"""/统计 [本周|本月]: the 三率, counts by state and category, times to acknowledge and
to resolve, for the sender's community; plus a warning line per WeCom group whose
webhook is failing (its stored health: the key is dead, errcode 93000, or the webhook
does not take posts), with since when."""

from __future__ import annotations

from bot import texts
from bot.dispatcher import Context, Dispatcher, UsageError
from bot.domain.categories import category_label
from bot.domain.stats import case_stats, mean, p90, period_bounds
from bot.domain.webhook_health import INVALID_KEY, WebhookTrouble, webhook_troubles

PERIODS = {"": ("month", "本月"), "本月": ("month", "本月"), "month": ("month", "本月"),
           "本周": ("week", "本周"), "week": ("week", "本周"), "这周": ("week", "本周"),
           "这个月": ("month", "本月"), "上周": ("last_week", "上周"),
           "last_week": ("last_week", "上周"), "上个月": ("last_month", "上个月"),
           "上月": ("last_month", "上个月"), "last_month": ("last_month", "上个月")}


def register(dispatcher: Dispatcher) -> None:
    dispatcher.command("统计", "stats")(stats)


def _span(value) -> str:
    return "—" if value is None else texts.duration(value)


def _trouble_line(ctx: Context, trouble: WebhookTrouble) -> str:
    line = texts.wecom_webhook_dead if trouble.kind == INVALID_KEY else \
        texts.wecom_webhook_failing
    return line(trouble.group_name, texts.clock(ctx.local(trouble.since)))


def stats(ctx: Context, args: str) -> None:
    key = args.strip()
    if key not in PERIODS:
        raise UsageError(texts.stats_period_unknown(key))
    period, label = PERIODS[key]
    start, end = period_bounds(ctx.now, period, ctx.config.tz)
    cases = ctx.repos.cases.opened_between(ctx.community.id, start, end)
    st = case_stats(ctx.repos, cases, ctx.now)
    health = "".join("\n" + _trouble_line(ctx, trouble)
                     for trouble in webhook_troubles(ctx.repos, ctx.community.id))
    ctx.reply(texts.stats(
        label, opened=st.opened, response=(st.responded_in_time, st.due_for_response),
        resolution=(st.resolved, st.resolution_base), satisfaction=(st.satisfied, st.rated),
        by_state=[(texts.STATE_LABELS.get(s, s), n) for s, n in st.by_state.most_common()],
        by_category=[(category_label(c), n) for c, n in st.by_category.most_common()],
        ack_avg=_span(mean(st.ack_times)), ack_p90=_span(p90(st.ack_times)),
        resolve_avg=_span(mean(st.resolve_times)), resolve_p90=_span(p90(st.resolve_times)),
        overdue=st.overdue, reopened=st.reopened, group_complaints=st.group_complaints)
        + health)
