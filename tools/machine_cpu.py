"""The whole machine's CPU time from /proc/stat, counted the way the bench counts it
(ProcFS.machineIdle)."""
import os

HZ = os.sysconf("SC_CLK_TCK")
CLASSES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]


def cpu_seconds():
    """Seconds all CPUs together spent in each class of /proc/stat's first line."""
    with open("/proc/stat") as file:
        values = file.readline().split()[1:]
    return {name: int(value) / HZ for name, value in zip(CLASSES, values)}


def idle_seconds(seconds=None):
    """Time the CPUs ran nothing (idle, iowait, steal) in `seconds` (read now unless given). Idle
    time is measured at every idle entry and exit, where /proc/stat's busy columns are only
    sampled at the tick, so a machine's busy time is elapsed × CPUs − idle."""
    seconds = seconds or cpu_seconds()
    return seconds["idle"] + seconds["iowait"] + seconds["steal"]
