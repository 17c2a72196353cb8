// Package kwok plays the kubelet of simulated nodes: kwok's controllers run
// as a library inside Kumo, one instance per tenant cluster, instead of one
// kwok process per cluster (which cost about 50 MiB each).
package kwok
