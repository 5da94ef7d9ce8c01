# Sourced by the benchmark scripts.
# Peak anonymous RSS (heap, stacks: the engine's own memory, not the mapped
# store) of the child of PID, sampled every 50 ms with shell builtins only,
# so the sampler takes no CPU from the run it measures.
sample_anon() {
  local pid=$1 max=0 child="" k v _
  while kill -0 "$pid" 2>/dev/null; do
    [ -n "$child" ] || child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    child=${child%% *}
    if [ -n "$child" ] && [ -r "/proc/$child/status" ]; then
      while read -r k v _; do
        [ "$k" == "RssAnon:" ] && [ "$v" -gt "$max" ] && max=$v
      done <"/proc/$child/status" 2>/dev/null || true
    fi
    read -r -t 0.05 <> <(:) || true
  done
  echo "$max"
}
