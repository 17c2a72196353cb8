// Package quota holds `kumoctl quota`: what the caller's team uses of the
// clusters, nodes and vCPUs its TeamQuota allows.
package quota
