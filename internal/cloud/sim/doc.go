// Package sim is an in-process private cloud implementing cloud.Provider:
// regions of hypervisors with physical cores and CPU overcommit, placement with
// anti-affinity, boot delay, API latency, injected failures, state kept in a JSON file.
package sim
