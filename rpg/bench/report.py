"""
Numbers from a run: latency histograms, Prometheus scrapes, the table.
"""

import math
import re

# Log buckets 2 % wide: a percentile is known to within 2 %.
_LOG_BASE = math.log(1.02)
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class LatencyHistogram:
    """
    Durations in log-spaced buckets, mergeable across processes
    (C{to_json}/C{from_json}, C{merge}).
    """

    def __init__(self, buckets=None, count=0, total=0.0, maximum=0.0):
        self.buckets = dict(buckets or {})  # bucket index -> count
        self.count = count
        self.total = total
        self.maximum = maximum

    def add(self, seconds):
        index = int(math.log(max(seconds, 1e-6) * 1e6) / _LOG_BASE)
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        self.total += seconds
        if seconds > self.maximum:
            self.maximum = seconds

    def merge(self, other):
        for index, n in other.buckets.items():
            self.buckets[index] = self.buckets.get(index, 0) + n
        self.count += other.count
        self.total += other.total
        self.maximum = max(self.maximum, other.maximum)

    def percentile(self, q):
        """The C{q} quantile (0..1) in seconds, or C{None} without samples."""
        if not self.count:
            return None
        rank = q * self.count
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                # the bucket's geometric middle
                return math.exp((index + 0.5) * _LOG_BASE) / 1e6
        return self.maximum

    def mean(self):
        return self.total / self.count if self.count else None

    def to_json(self):
        return {"buckets": {str(k): v for k, v in self.buckets.items()}, "count": self.count,
                "total": self.total, "maximum": self.maximum}

    @classmethod
    def from_json(cls, data):
        return cls({int(k): v for k, v in data["buckets"].items()}, data["count"],
                   data["total"], data["maximum"])


def parse_metrics(text):
    """
    Prometheus text exposition -> C{{(name, frozenset(labels)): value}}.
    """
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        name, labels, value = match.groups()
        label_set = frozenset(_LABEL.findall(labels or ""))
        try:
            samples[(name, label_set)] = float(value)
        except ValueError:
            continue
    return samples


def metric(samples, name, **labels):
    """One sample's value (0 when absent)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples, name, label):
    """C{{label value: sample value}} for one metric."""
    found = {}
    for (n, labels), v in samples.items():
        if n == name:
            for key, value in labels:
                if key == label:
                    found[value] = v
    return found


def histogram_delta(before, after, name, **labels):
    """
    The buckets observed between two scrapes of a Prometheus histogram.

    @return: C{(buckets, count, sum)} where C{buckets} is a sorted list of
        C{(upper bound, cumulative count)}.
    """
    bounds = {}
    for (n, label_set), value in after.items():
        if n != name + "_bucket":
            continue
        label_dict = dict(label_set)
        le = label_dict.pop("le", None)
        if le is None or label_dict != labels:
            continue
        earlier = before.get((n, label_set), 0.0)
        bounds[float(le)] = value - earlier
    buckets = sorted(bounds.items())
    count = metric(after, name + "_count", **labels) - metric(before, name + "_count", **labels)
    total = metric(after, name + "_sum", **labels) - metric(before, name + "_sum", **labels)
    return buckets, count, total


def bucket_quantile(q, buckets):
    """
    Estimate a quantile from cumulative buckets, as PromQL's
    C{histogram_quantile} does: linear within the bucket it falls in; the
    highest finite bound when it falls in C{+Inf}.
    """
    if not buckets or buckets[-1][1] <= 0:
        return None
    rank = q * buckets[-1][1]
    lower_bound, lower_count = 0.0, 0.0
    for bound, cumulative in buckets:
        if cumulative >= rank:
            if math.isinf(bound):
                return lower_bound
            if cumulative == lower_count:
                return bound
            return lower_bound + (bound - lower_bound) * (rank - lower_count) / (
                cumulative - lower_count)
        lower_bound, lower_count = bound, cumulative
    return lower_bound


def summarise_tick(before, after, name="rpg_tick_seconds", **labels):
    """p50, p99, mean and count of a tick histogram between two scrapes."""
    buckets, count, total = histogram_delta(before, after, name, **labels)
    return {"count": int(count),
            "p50_ms": _ms(bucket_quantile(0.5, buckets)),
            "p99_ms": _ms(bucket_quantile(0.99, buckets)),
            "mean_ms": _ms(total / count) if count else None}


def _ms(seconds):
    return None if seconds is None else round(seconds * 1000, 3)


def fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table_head(columns):
    """The header and rule lines of a Markdown table of C{(name, get, digits)} columns."""
    return ["| " + " | ".join(name for name, _, _ in columns) + " |",
            "|" + "|".join("---:" for _ in columns) + "|"]


def curve_table(results):
    """The headline numbers of several runs, one row each."""
    columns = [
        ("bots", lambda r: r["bots"]["connected"], 0),
        ("refused", lambda r: r["bots"]["refused"], 0),
        ("tick p50 ms", lambda r: r["tick"]["p50_ms"], 2),
        ("tick p99 ms", lambda r: r["tick"]["p99_ms"], 2),
        ("tick mean ms", lambda r: r["tick"]["mean_ms"], 2),
        ("missed", lambda r: r["tick"]["missed"], 0),
        ("move p50 ms", lambda r: r["move"]["rtt_p50_ms"], 1),
        ("move p99 ms", lambda r: r["move"]["rtt_p99_ms"], 1),
        ("µs/player/tick", lambda r: r["cost"]["tick_us_per_player"], 1),
        ("CPU µs/player/tick", lambda r: r["cost"]["cpu_us_per_player_tick"], 1),
        ("B/player/s", lambda r: r["traffic"]["bytes_per_player_s"], 0),
        ("server CPU %", lambda r: r["server"]["cpu_percent"], 0),
        ("KB/player", lambda r: r["server"]["rss_kb_per_player"], 1),
        ("attacks", lambda r: r["combat"]["attacks_sent"], 0),
        ("kills", lambda r: r["combat"]["kills_observed"], 0),
        ("bots CPU %", lambda r: r["bots"]["cpu_percent"], 0),
        ("machine busy %", lambda r: r["machine"]["busy_percent"], 0),
    ]
    rows = _table_head(columns)
    for result in results:
        cells = []
        for _, get, digits in columns:
            try:
                value = get(result)
            except (KeyError, TypeError):
                value = None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and digits == 0:
                value = str(int(round(value)))
            cells.append(fmt(value, digits))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def run_table(result):
    """One run, as readable lines."""
    tick, move, server, traffic, cost = (result["tick"], result["move"], result["server"],
                                         result["traffic"], result["cost"])
    bots = result["bots"]
    lines = [
        f"bots           {bots['connected']} connected of {bots['requested']}"
        f" ({bots['failed']} failed) in {bots['processes']} processes;"
        f" window {result['duration_s']} s after {result['warmup_s']} s warm-up",
        f"logins         {bots.get('refused', 0)} refused SERVER_FULL; answered p50"
        f" {fmt(bots.get('login_answer_p50_ms'), 1)} ms  p99"
        f" {fmt(bots.get('login_answer_p99_ms'), 1)} ms  max"
        f" {fmt(bots.get('login_answer_max_ms'), 1)} ms"
        + ("; a crowd at the spawn" if result.get("crowd") else "")
        + (f"; server on cores {result['server']['cpus']}"
           if result.get("server", {}).get("cpus") else ""),
        f"tick           p50 {fmt(tick['p50_ms'], 2)} ms  p99 {fmt(tick['p99_ms'], 2)} ms"
        f"  mean {fmt(tick['mean_ms'], 2)} ms  ({tick['count']} ticks, {fmt(tick['missed'], 0)}"
        " missed)",
    ]
    for phase, numbers in sorted(tick.get("phases", {}).items()):
        lines.append(f"  {phase:<12} p50 {fmt(numbers['p50_ms'], 2)} ms  p99"
                     f" {fmt(numbers['p99_ms'], 2)} ms  mean {fmt(numbers['mean_ms'], 3)} ms")
    lines += [
        f"move           {move['count']} moves ({fmt(move['per_second'], 0)}/s), round trip p50"
        f" {fmt(move['rtt_p50_ms'], 1)} ms  p99 {fmt(move['rtt_p99_ms'], 1)} ms"
        f"  max {fmt(move['rtt_max_ms'], 1)} ms; errors {move['errors'] or 'none'}",
        f"chat           {result['chat']['sent']} sent, {result['chat']['errors'] or 'no'} errors",
    ]
    combat = result.get("combat")
    if combat:
        lines.append(
            f"combat         {combat['fighters']} fighters, {fmt(combat.get('npcs'), 0)} NPCs;"
            f" {combat['attacks_sent']} attacks sent, round trip p50"
            f" {fmt(combat['attack_rtt_p50_ms'], 1)} ms  p99 {fmt(combat['attack_rtt_p99_ms'], 1)}"
            f" ms; errors {combat['attack_errors'] or 'none'}; {combat['kills_observed']} kills"
            f" observed, {combat['fighter_deaths']} fighter deaths")
    lines += [
        f"traffic        {fmt(traffic['bytes_per_player_s'], 0)} B/player/s"
        f" (server count {fmt(traffic['server_bytes_per_player_s'], 0)}),"
        f" {fmt(traffic['frames_per_player_s'], 1)} frames/player/s",
        f"server         CPU {fmt(server['cpu_percent'], 0)} % of a core, RSS"
        f" {fmt(server['rss_mb_start'], 1)} -> {fmt(server['rss_mb_end'], 1)} MB"
        f" ({fmt(server['rss_kb_per_player'], 1)} KB/player)",
        f"cost           tick {fmt(cost['tick_us_per_player'], 1)} µs/player/tick;"
        f" server CPU {fmt(cost['cpu_us_per_player_tick'], 1)} µs/player/tick",
        f"bots           CPU {fmt(bots['cpu_percent'], 0)} % of a core",
    ]
    flood = result.get("register_flood")
    if flood:
        lines.append(
            f"registrations  {flood['registered']} at {fmt(flood['rate'], 0)}/s asked"
            f" ({fmt(flood['per_second'], 1)}/s done), p50 {fmt(flood['p50_ms'], 0)} ms"
            f"  p99 {fmt(flood['p99_ms'], 0)} ms; statuses {flood['statuses']},"
            f" {flood['not_sent_all_busy']} not sent (all senders busy)")
    machine = result.get("machine")
    if machine:
        lines.append(f"machine        {fmt(machine['busy_percent'], 0)} % busy of"
                     f" {machine['cores'] * 100} % ({machine['cores']} cores), everything included")
    world = result.get("world")
    if world and world.get("map_per_process"):
        lines.append(f"world          {world['server_processes']} server processes on"
                     f" {world['database']} and Valkey, one map each; tick, server CPU and RSS"
                     " above are process 0's")
        lines.append(f"world total    {world['players']} players in the {world['owners']}"
                     f" owners' worlds; worst tick p99 {fmt(world['tick_p99_ms_worst'], 2)} ms;"
                     f" {world['missed_total']} ticks missed in all")
    elif world and (world["server_processes"] > 1 or world["valkey"]):
        lines.append(f"world          {world['server_processes']} server processes on"
                     f" {world['database']}" + (" and Valkey" if world["valkey"] else "")
                     + "; tick, server CPU and RSS above are the map owner's (process 0)")
    targets = result.get("targets")
    if targets:
        lines.append("targets        " + ", ".join(
            f"{name} {'ok' if ok else 'MISSED'}" for name, ok in targets.items()))
    if result.get("processes"):
        lines += ["", processes_table(result["processes"],
                                      world if world and world.get("map_per_process") else None)]
    return "\n".join(lines)


def processes_table(rows, world=None):
    """
    One row per server process of a world (L{rpg.bench.processes.summarise_processes});
    with C{world} (L{rpg.bench.processes.summarise_world}) a last row for the
    world: its players, the worst tick p99 and every missed tick.
    """
    columns = [
        ("process", lambda r: r["index"], 0),
        ("role", lambda r: r["role"], 0),
        ("cores", lambda r: ",".join(map(str, r["cpus"])) if r["cpus"] else None, 0),
        ("CPU %", lambda r: r["cpu_percent"], 0),
        ("bots connected", lambda r: r["bots_connected"], 0),
        ("players in its world", lambda r: r["players_online"], 0),
        ("link msgs in/out", lambda r: "{in}/{out}".format(**r["link_messages"]), 0),
        ("link KB in/out", lambda r: "{:.0f}/{:.0f}".format(
            r["link_bytes"]["in"] / 1024, r["link_bytes"]["out"] / 1024), 0),
        ("frames KB/s", lambda r: r["bytes_out_per_s"] / 1024, 0),
        ("tick p50 ms", lambda r: r["tick"]["p50_ms"], 2),
        ("tick p99 ms", lambda r: r["tick"]["p99_ms"], 2),
        ("missed", lambda r: r["tick"]["missed"], 0),
    ]
    lines = _table_head(columns)
    for row in rows:
        lines.append("| " + " | ".join(fmt(get(row), digits) for _, get, digits in columns)
                     + " |")
    if world:
        cells = {"process": "world", "bots connected": sum(r["bots_connected"] for r in rows),
                 "players in its world": world["players"],
                 "tick p99 ms": fmt(world["tick_p99_ms_worst"], 2),
                 "missed": world["missed_total"]}
        lines.append("| " + " | ".join(str(cells.get(name, "")) for name, _, _ in columns)
                     + " |")
    return "\n".join(lines)
