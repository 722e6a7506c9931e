"""The schema of config.yaml: pydantic models with their value parsers (durations,
times of day, time zones), and `ConfigError`.

Reading the file (`${ENV}` substitution, validation against this schema, the cross-checks
against the categories, roles and lexicon) is `bot.config_file`.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# 2天, 48小时, 半小时, 1天半, 两个小时, 两个半小时, 30分钟, 一周, 1.5天
_ZH_DURATION = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+)?\s*个?\s*(?P<half>半)?\s*"
    r"(?P<unit>秒钟?|分钟|分|小时|钟头|个钟|天|日|周|星期|礼拜)(?P<and_half>半)?\s*$")
_ZH_UNITS = {"秒": "seconds", "秒钟": "seconds", "分钟": "minutes", "分": "minutes",
             "小时": "hours", "钟头": "hours", "个钟": "hours", "天": "days", "日": "days",
             "周": "weeks", "星期": "weeks", "礼拜": "weeks"}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
MAX_DURATION = timedelta(days=366)  # longer is a typo (99999999d), not a plan


def _zh_number(text: str) -> float | None:
    """'48', '1.5', '两', '十二', '二十', '一百' -> the number; None if not one."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, current = 0, 0
    for char in text:
        if char in _ZH_DIGITS:
            current = _ZH_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return float(total + current)


def is_duration(value: str) -> bool:
    """Whether `value` reads as a duration (30m, 2h, 2天, 半小时 …)."""
    try:
        parse_duration(value)
    except ValueError:
        return False
    return True


class ConfigError(Exception):
    """The configuration is invalid; `problems` holds (key path, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{path}: {msg}" for path, msg in problems))


def parse_duration(value: Any) -> timedelta:
    """'30m', '4h', '3d', '1w', '45s', and in Chinese 30分钟, 2小时, 两个小时, 半小时, 2天,
    1天半, 一周 -> timedelta; a bare number means minutes.  At most MAX_DURATION."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        result = timedelta(minutes=min(float(value), MAX_DURATION / timedelta(minutes=1) + 1))
    else:
        result = _parse_duration_text(str(value))
    if result > MAX_DURATION:
        raise ValueError(f"duration too long: {value!r} (at most {MAX_DURATION.days} days)")
    return result


def _parse_duration_text(text: str) -> timedelta:
    match = _DURATION.match(text)
    if match:
        if len(match.group(1)) > 7:
            raise ValueError(f"duration too long: {text!r} (at most {MAX_DURATION.days} days)")
        return timedelta(**{_DURATION_UNITS[match.group(2)]: int(match.group(1))})
    match = _ZH_DURATION.match(text)
    if match and (match.group("num") or match.group("half")):
        number = _zh_number(match.group("num")) if match.group("num") else 0.0
        if number is None or len(match.group("num") or "") > 7:
            raise ValueError(f"not a duration: {text!r} (use e.g. 30分钟, 2小时, 2天)")
        if match.group("half") or match.group("and_half"):
            number += 0.5
        return timedelta(**{_ZH_UNITS[match.group("unit")]: number})
    raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 4h, 3d, 2小时, 2天)")


def parse_clock(value: Any) -> time:
    """'18:00' -> time(18, 0)."""
    if isinstance(value, time):
        return value
    if isinstance(value, int):  # YAML 1.1 reads 18:00 as a sexagesimal int
        return time(value // 60, value % 60)
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"not a clock time: {value!r} (use HH:MM)") from None


# Config fields of these types accept "30m" / "18:00" as well as the parsed values.
Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Clock = Annotated[time, BeforeValidator(parse_clock)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(_Strict):
    url: str = "sqlite:///linli.db"


class BridgeConfig(_Strict):
    enabled: bool = True
    secret: str = ""
    outbound_url: str = ""
    timeout_seconds: float = 10.0
    # posts per minute per group; 0: no limit. Over it, a backlog is merged into one post.
    rate_limit_per_minute: int = Field(default=0, ge=0)


class SimulatorConfig(_Strict):
    """The group-chat simulator page at `/` (lets anyone speak as anyone: demo only)."""

    enabled: bool = False


class WecomAibotConfig(_Strict):
    """WeCom 智能机器人 (AI bot), API mode: HTTP callback (`token`, `encoding_aes_key`) at
    /wecom/aibot, or the long connection (`bot_id`, `secret`) to `ws_url`."""

    enabled: bool = False
    mode: Literal["http", "websocket"] = "http"
    token: str = ""
    encoding_aes_key: str = ""
    bot_id: str = ""
    secret: str = ""
    ws_url: str = "wss://openws.work.weixin.qq.com"

    @model_validator(mode="after")
    def _credentials(self) -> WecomAibotConfig:
        if self.enabled and self.mode == "http":
            if not self.token:
                raise ValueError("mode http needs token")
            if len(self.encoding_aes_key) != 43:
                raise ValueError("mode http needs encoding_aes_key (43 characters)")
        if self.enabled and self.mode == "websocket" and not (self.bot_id and self.secret):
            raise ValueError("mode websocket needs bot_id and secret")
        return self


class WecomWebhookConfig(_Strict):
    """消息推送 (group webhook) posts; each group's key is its `webhook_key`."""

    api_base: str = "https://qyapi.weixin.qq.com"
    timeout_seconds: float = 10.0


class WecomAppConfig(_Strict):
    """A self-built app (自建应用): XML callback at /wecom/app, replies via message/send."""

    enabled: bool = False
    corp_id: str = ""
    agent_id: int = 0
    secret: str = ""
    token: str = ""
    encoding_aes_key: str = ""
    api_base: str = "https://qyapi.weixin.qq.com"
    timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _credentials(self) -> WecomAppConfig:
        if self.enabled:
            missing = [k for k in ("corp_id", "secret", "token") if not getattr(self, k)]
            if missing or not self.agent_id:
                raise ValueError("needs corp_id, agent_id, secret, token and encoding_aes_key")
            if len(self.encoding_aes_key) != 43:
                raise ValueError("encoding_aes_key must have 43 characters")
        return self


class WecomArchiveConfig(_Strict):
    """会话内容存档 (the official full-text feed): customer-group messages pulled with
    Tencent's SDK (`pyweworkfinance`), triggered by `msgaudit_notify` and by the tick.

    `secret` is the 会话内容存档 secret; `private_key` the PEM of the RSA key whose public
    half is registered in the admin console as version `key_version` (write both as
    ${ENV}: they are never logged). Answers for archive groups go privately to the
    responsible staff (the self-built app) and, with `staff_webhook_key`, to an internal
    staff group; `notify_userids` are told when a post names nobody responsible."""

    enabled: bool = False
    corp_id: str = ""
    secret: str = Field(default="", repr=False)
    private_key: str = Field(default="", repr=False)
    key_version: int = Field(default=1, ge=1)
    batch: int = Field(default=100, ge=1, le=1000)  # GetChatData limit
    timeout_seconds: int = Field(default=10, ge=1)
    staff_webhook_key: str = Field(default="", repr=False)
    notify_userids: list[str] = []
    sdk_library: str = ""  # a custom libWeWorkFinanceSdk_C.so (default: the package's)

    @model_validator(mode="after")
    def _credentials(self) -> WecomArchiveConfig:
        if self.enabled:
            if not (self.corp_id and self.secret):
                raise ValueError("needs corp_id and secret (the 会话内容存档 secret)")
            if "PRIVATE KEY" not in self.private_key:
                raise ValueError("private_key must be an RSA private key in PEM form")
        return self


class ChannelsConfig(_Strict):
    bridge: BridgeConfig = BridgeConfig()
    simulator: SimulatorConfig = SimulatorConfig()
    wecom_aibot: WecomAibotConfig = WecomAibotConfig()
    wecom_webhook: WecomWebhookConfig = WecomWebhookConfig()
    wecom_app: WecomAppConfig = WecomAppConfig()
    wecom_archive: WecomArchiveConfig = WecomArchiveConfig()

    @model_validator(mode="after")
    def _archive_answers(self) -> ChannelsConfig:
        archive = self.wecom_archive
        if archive.enabled and not (self.wecom_app.enabled or archive.staff_webhook_key):
            raise ValueError("wecom_archive needs wecom_app enabled or "
                             "wecom_archive.staff_webhook_key: answers for customer groups "
                             "go to staff privately or to a staff group")
        return self


IMAGE_TYPES = ("jpeg", "png", "webp", "gif")


class MediaConfig(_Strict):
    """Photos residents and staff send: where they are kept and what is accepted. The
    type is read from the content (never the name); EXIF (GPS location included) is
    removed before anything is written."""

    dir: str = "media"  # relative paths are relative to the working directory
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_pixels: int = Field(default=40_000_000, ge=10_000)
    allowed_types: list[Literal["jpeg", "png", "webp", "gif"]] = ["jpeg", "png", "webp"]
    # a photo's whole download (WeCom waits about 5 s for the AI bot's answer)
    fetch_timeout_seconds: float = Field(default=4.0, gt=0)
    # a photo sent alone this soon after its sender's complaint (or a staff member's fix)
    # belongs to that case
    photo_window: Duration = timedelta(minutes=10)


class MemberConfig(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    roles: list[str] = []


class GroupConfig(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    channel: Literal["bridge", "wecom", "wecom_archive"] = "bridge"
    webhook_key: str = ""


class TierConfig(_Strict):
    name: str
    roles: list[str] = []


class CommunityConfig(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    groups: list[GroupConfig] = []
    members: list[MemberConfig] = []
    routing: dict[str, list[str]] = {"default": ["property_service"]}
    tiers: list[TierConfig] = [
        TierConfig(name="责任区"),
        TierConfig(name="居民区", roles=["grid_worker", "moderator"]),
        TierConfig(name="街道", roles=["street_liaison"]),
    ]
    lexicon: dict[str, Any] = {}


class Deadline(_Strict):
    respond: Duration
    resolve: Duration


class SlaConfig(_Strict):
    urgent: Deadline = Deadline(respond=timedelta(minutes=30), resolve=timedelta(hours=24))
    normal: Deadline = Deadline(respond=timedelta(hours=4), resolve=timedelta(hours=72))
    categories: dict[str, Deadline] = {}
    # normal cases' response clocks stop during schedules.quiet_hours (and a resolution
    # deadline that would fall in them moves to their end); urgent cases never pause
    pause_in_quiet_hours: bool = True


class FeedbackConfig(_Strict):
    rating_timeout: Duration = timedelta(days=3)


class CasesConfig(_Strict):
    duplicate_window: Duration = timedelta(hours=72)
    # a close call (the model's complaint probability inside ask_band and below its
    # threshold) gets 需要帮您登记报修吗？; 是 within ask_answer_window opens the case
    ask_when_unsure: bool = True
    ask_band: tuple[float, float] = (0.2, 0.5)
    ask_answer_window: Duration = timedelta(minutes=10)
    ask_at_most_every: Duration = timedelta(hours=1)  # per sender

    @field_validator("ask_band")
    @classmethod
    def _band(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError("expected [low, high] with 0 <= low <= high <= 1")
        return value


class RemindersConfig(_Strict):
    """When the bot reminds and nudges (反馈进度)."""

    response_fractions: list[float] = [0.5, 0.8]  # of the response window
    nudge_after: Duration = timedelta(hours=24)  # acknowledged but silent this long
    rating_reminder_after: Duration = timedelta(hours=24)
    # a reminder when a stopped response clock runs again (the morning list of the
    # evening's and night's cases still waiting for a 签收)
    when_clock_resumes: bool = True

    @field_validator("response_fractions")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        if any(not 0 < f < 1 for f in value):
            raise ValueError("each fraction must be between 0 and 1, e.g. [0.5, 0.8]")
        return sorted(set(value))


class CalendarConfig(_Strict):
    """Working days: with `working_days` on, normal cases' deadlines skip weekends and
    Chinese public holidays (调休 workdays count); urgent cases never pause."""

    working_days: bool = False
    holidays: list[date] = []  # extra days off
    workdays: list[date] = []  # extra working days (调休)


class SchedulesConfig(_Strict):
    daily_digest: Clock = time(18, 0)
    quiet_hours: tuple[time, time] = (time(22, 0), time(7, 0))
    topic_call: Clock = time(9, 0)  # Mondays: 议题征集
    half_monthly_summary: Clock = time(9, 0)  # the 1st and the 16th
    monthly_report: Clock = time(9, 30)  # the 1st: 社情民意月报 of the month before
    catch_up: Duration = timedelta(hours=6)  # a missed post is still made this long after

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _clocks(cls, value: Any) -> tuple[time, time]:
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ValueError("quiet_hours takes two times: [start, end]")
        return (parse_clock(value[0]), parse_clock(value[1]))


class DeliberationConfig(_Strict):
    """议事 under 六步七规: discussion window, message limit, votes, 公示, follow-ups."""

    discussion: Duration = timedelta(hours=1)  # /开始 without a duration
    max_messages_per_person: int = Field(default=10, ge=1)
    vote_duration: Duration = timedelta(hours=24)  # /表决 without a duration
    vote_reminder_before: Duration = timedelta(hours=2)
    announce_reminder_before: Duration = timedelta(hours=1)
    publicity: Duration = timedelta(days=7)  # 公示 (at least 7 days)
    followup_consultation: Duration = timedelta(days=15)  # 协商类/决策类: half-monthly
    followup_inquiry: Duration = timedelta(days=30)  # 咨询类/听证类: monthly
    rating_window: Duration = timedelta(days=3)  # 成效评估 open this long after 完成
    abusive_words: list[str] = []  # added to the built-in list


class SchedulerConfig(_Strict):
    enabled: bool = True
    tick_seconds: int = Field(default=60, ge=1)
    delivery_seconds: float = Field(default=2.0, gt=0)
    # a post being sent by a worker that dies is sent again after this long
    delivery_lease: Duration = timedelta(minutes=2)
    # a normal case's reminder, escalation or nudge waits up to this long for the group's
    # others falling due just after it, so they go out as one message (0: never waits)
    gather_window: Duration = timedelta(minutes=5)


class HealthConfig(_Strict):
    """`GET /healthz/ready` (database, migrations, outbox) asks for this token when set
    (`Authorization: Bearer …` or `?token=`); `/healthz` is liveness only."""

    ready_token: str = ""


class HotspotsConfig(_Strict):
    """未诉先办 hot spots: the same category at the same building or place `min_cases`
    times within `window_days`; a utility outage at one place `outage_min_cases` times;
    a complainant whose cases were reopened (不满意) `min_reopens` times. The weekly post
    to moderators lists the new ones on `weekly_day` (0 Monday … 6 Sunday) at
    `weekly_time`."""

    min_cases: int = Field(default=3, ge=2)
    window_days: int = Field(default=30, ge=1, le=366)
    outage_min_cases: int = Field(default=2, ge=2)
    min_reopens: int = Field(default=2, ge=1)
    weekly_post: bool = True
    weekly_day: int = Field(default=0, ge=0, le=6)
    weekly_time: Clock = time(9, 0)


class Open311Config(_Strict):
    """Open311 GeoReport v2 under /open311/v2/. With `api_key` set every request needs
    it (`api_key=` in the query or form); POSTed requests go to the group named by the
    `attribute[group_id]` field, else `default_group` (else the first configured group)."""

    enabled: bool = False
    api_key: str = ""
    jurisdiction_id: str = ""
    default_group: str = ""
    page_size: int = Field(default=50, ge=1, le=1000)


class DeskConfig(_Strict):
    """The community desk (社区后台) under /desk/: off unless `enabled`. `secret` signs the
    session cookies (write ${DESK_SECRET}); `public_url` is where links point (the
    address people open, e.g. https://linli.example.org); a session ends after
    `idle_minutes` without a request and after `max_hours` in any case."""

    enabled: bool = False
    secret: str = ""
    public_url: str = "http://127.0.0.1:8000"
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    max_hours: int = Field(default=12, ge=1, le=24 * 30)
    link_minutes: int = Field(default=10, ge=1, le=24 * 60)  # a one-time link's lifetime
    page_size: int = Field(default=30, ge=5, le=200)  # cases per board page
    # 企业微信网页授权 (with channels.wecom_app enabled): where sign-in starts
    oauth_authorize_url: str = "https://open.weixin.qq.com/connect/oauth2/authorize"

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("expected an http(s) address, e.g. https://linli.example.org")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secret(self) -> DeskConfig:
        if self.enabled and len(self.secret) < 16:
            raise ValueError("enabled needs a secret of at least 16 characters "
                             "(write ${DESK_SECRET} and set the variable)")
        return self


class Config(_Strict):
    database: DatabaseConfig = DatabaseConfig()
    timezone: str = "Asia/Shanghai"
    channels: ChannelsConfig = ChannelsConfig()
    communities: list[CommunityConfig] = Field(min_length=1)
    sla: SlaConfig = SlaConfig()
    feedback: FeedbackConfig = FeedbackConfig()
    cases: CasesConfig = CasesConfig()
    schedules: SchedulesConfig = SchedulesConfig()
    reminders: RemindersConfig = RemindersConfig()
    calendar: CalendarConfig = CalendarConfig()
    deliberation: DeliberationConfig = DeliberationConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    health: HealthConfig = HealthConfig()
    hotspots: HotspotsConfig = HotspotsConfig()
    open311: Open311Config = Open311Config()
    desk: DeskConfig = DeskConfig()
    media: MediaConfig = MediaConfig()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}") from None
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

