// Package quota keeps teams within their TeamQuotas: the controller counts
// each team's clusters, nodes and vCPUs into its quota's status, and the
// Validator, a validating webhook, refuses the creates and scale-ups that
// would pass a limit.
package quota
