-- wrk script for ops/bench/run.py: requests paths drawn at random from BENCH_PATHS (one per
-- line; repeat a path to weight it) and prints one machine-readable line of results.
-- BENCH_UNIQUE_SHARE (0-1): that share of requests gets a query parameter `_fresh` never sent
-- before, which the service ignores but its response cache cannot answer from memory.
local paths = {}
local unique_share = tonumber(os.getenv("BENCH_UNIQUE_SHARE") or "0")
local run_id, counter = 0, 0

init = function(args)
  for path in string.gmatch(os.getenv("BENCH_PATHS") or "/", "[^\n]+") do
    table.insert(paths, path)
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  run_id = math.random(1000000000)
end

request = function()
  local path = paths[math.random(#paths)]
  if unique_share > 0 and math.random() < unique_share then
    counter = counter + 1
    path = path .. (string.find(path, "?", 1, true) and "&" or "?") .. "_fresh=" .. run_id .. "-" .. counter
  end
  return wrk.format("GET", path)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"errors": %d, "non2xx": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1000000),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect + e.read + e.write + e.timeout, e.status))
end
