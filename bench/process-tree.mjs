// What processes cost, read from Linux's /proc: a process and its descendants (the `kassa start`
// supervisor and its six services), their CPU time and their resident memory.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces), or none. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // After ") ": state(3) ppid(4) … utime(14) stime(15); index 0 here is field 3.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // it has exited
  }
}

/** `rootPid` and every process descended from it, read now. */
export function processTree(rootPid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(entry)?.[1]);
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(Number(entry));
  }
  const tree = [];
  const visit = (pid) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return tree;
}

/**
 * User plus system CPU time of `pids`, in milliseconds (/proc utime + stime, clock ticks of
 * 1/CLK_TCK s: 10 ms resolution per process on most systems). A process that has exited counts 0.
 */
export function processCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / ticksPerSecond;
}

/** Resident memory (VmRSS) of `pids` summed, in bytes. */
export function processRssBytes(pids) {
  let kib = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      kib += Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? 0);
    } catch {
      // it has exited
    }
  }
  return kib * 1024;
}
