# Sourced by the bench scripts: the yardstick's multi-key requests, redis-benchmark's arguments for a
# test name, and a process's CPU time, so that every script measures the same requests the same way.

# One MGET and one MSET of 10 random keys, as the yardstick sends them.
MGET10="mget"; for i in $(seq 10); do MGET10="$MGET10 k$i:__rand_int__"; done
MSET10="mset"; for i in $(seq 10); do MSET10="$MSET10 k$i:__rand_int__ v"; done
CLK_TCK=$(getconf CLK_TCK)

# redis-benchmark's arguments for a test: mget10 and mset10 above, any other name as -t NAME.
bench_args() {
  case $1 in
    mget10) echo "$MGET10" ;;
    mset10) echo "$MSET10" ;;
    *) echo "-t $1" ;;
  esac
}

# A process's user and system time so far, in clock ticks (CLK_TCK per second).
cpu_ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; }
