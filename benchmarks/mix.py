"""The benchmarks' message mix and a SQL statement counter, shared by the in-process
benchmark, the HTTP benchmarks and the statement-count test.

The mix, per ten messages: four complaints from residents (mostly new cases, sometimes
the same problem again, which joins the open case), three lines of chatter, two staff
replies naming the latest case (“#12 收到，马上安排” then “#12 修好了”), and one command
(/工单 #N, /帮助, /工单 我的 in turn).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

COMPLAINTS = [
    "{b}号楼{u}单元楼道灯坏了好几天了",
    "{b}号楼电梯又坏了，老人上不去",
    "楼上漏水，{b}号楼{r}天花板在滴水",
    "{b}号楼下水道堵了，污水都冒出来了",
    "{b}号楼门口的路灯不亮了",
    "{b}号楼楼下有人装修太吵了，晚上十点还在砸墙",
    "{b}号楼旁边垃圾桶满了好几天没人清，臭死了",
    "{b}号楼消防通道又被车堵了",
]
CHATTER = ["大家早上好", "今天天气不错", "谢谢王师傅，修好了", "请问物业电话多少", "收到",
           "明天社区有义诊活动吗", "哈哈哈", "好的好的"]
STAFF = ("u-wang", "王师傅")
SLOTS = ("complaint", "chatter", "complaint", "staff", "chatter", "complaint", "command",
         "chatter", "complaint", "staff")
COMMANDS = ("/工单 #{case}", "/帮助", "/工单 我的")


def complaint_text(rnd: random.Random) -> str:
    return rnd.choice(COMPLAINTS).format(b=rnd.randint(1, 60), u=rnd.randint(1, 6),
                                         r=f"{rnd.randint(1, 18)}0{rnd.randint(1, 4)}")


class Mix:
    """The i-th message of the mix: (kind, sender id, sender name, text). Staff replies
    and /工单 #N name the latest case the bot announced (`saw_case`)."""

    def __init__(self, seed: int = 7):
        self.rnd = random.Random(seed)
        self.latest_case: int | None = None
        self.staff_step = 0
        self.command_step = 0

    def saw_case(self, case_id: int | None) -> None:
        if case_id:
            self.latest_case = case_id

    def message(self, i: int) -> tuple[str, str, str, str]:
        kind = SLOTS[i % len(SLOTS)]
        resident = f"u-res-{self.rnd.randint(1, 200)}"
        if kind in ("staff", "command") and self.latest_case is None:
            kind = "chatter"
        if kind == "complaint":
            return kind, resident, "居民", complaint_text(self.rnd)
        if kind == "staff":
            self.staff_step += 1
            word = "收到，马上安排" if self.staff_step % 2 else "修好了"
            return kind, STAFF[0], STAFF[1], f"#{self.latest_case} {word}"
        if kind == "command":
            self.command_step += 1
            template = COMMANDS[self.command_step % len(COMMANDS)]
            return kind, resident, "居民", template.format(case=self.latest_case)
        return kind, resident, "居民", self.rnd.choice(CHATTER)


class StatementCounter:
    """Counts the SQL statements an engine runs (BEGIN, SAVEPOINT and the like included;
    COMMIT is not a statement to the cursor and is not counted)."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)
        event.listen(engine, "begin", self._begin)

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)

    def _begin(self, _conn) -> None:
        if self.engine.dialect.name != "sqlite":  # SQLite's BEGIN IMMEDIATE is seen above
            self.statements.append("BEGIN")

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        self.statements = []
        yield self.statements

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)
        event.remove(self.engine, "begin", self._begin)
