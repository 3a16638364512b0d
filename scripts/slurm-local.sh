#!/usr/bin/env bash
# A one-node Slurm cluster on localhost for testing `cowsim sweep --backend slurm`:
#   scripts/slurm-local.sh start   munge, slurmctld and slurmd from Debian's slurm-wlm and munge
#   scripts/slurm-local.sh stop    stops the daemons this script started
# Everything lives under $COWSIM_SLURM_DIR (default /tmp/cowsim-slurm). Needs root.
set -euo pipefail
dir=${COWSIM_SLURM_DIR:-/tmp/cowsim-slurm}
conf=/etc/slurm/slurm.conf
case "${1:-}" in
start)
  [ "$(id -u)" -eq 0 ] || { echo "slurm-local.sh: needs root (munge and slurmd run as root)" >&2; exit 77; }
  mkdir -p "$dir"/{spool,state,log} /etc/slurm /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge 2>/dev/null || true
  [ -s /etc/munge/munge.key ] || { mungekey --create --force 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; }
  chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key
  pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged --force
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2/1024/2)}' /proc/meminfo)
  [ -f $conf ] && [ ! -f "$dir/slurm.conf.orig" ] && cp $conf "$dir/slurm.conf.orig"
  cat > $conf <<CONF
ClusterName=cowsim-local
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  /usr/sbin/slurmctld
  /usr/sbin/slurmd
  for _ in $(seq 60); do
    sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)' && exit 0
    sleep 0.5
  done
  echo "slurm-local.sh: the node did not become idle; logs in $dir/log" >&2
  sinfo >&2 || true
  exit 1
  ;;
stop)
  for pf in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
    [ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null || true
  done
  sleep 1
  [ -f /run/munge/munged.pid ] && kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  if [ -f "$dir/slurm.conf.orig" ]; then mv "$dir/slurm.conf.orig" $conf; else rm -f $conf; fi
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
