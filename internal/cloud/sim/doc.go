// Package sim is an in-process private cloud implementing cloud.Provider: regions of
// hypervisors with cores and CPU overcommit, anti-affinity placement, boot delay, API
// latency and rate limit, injected failures, state in a JSON file (and, when large, a journal).
package sim
