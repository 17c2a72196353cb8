// Package nodepool holds the `kumoctl nodepool` commands, one per file:
// listing, adding, scaling and deleting the node pools of a cluster, each
// a read-modify-write of the Cluster's spec.nodePools.
package nodepool
