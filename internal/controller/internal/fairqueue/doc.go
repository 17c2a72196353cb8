// Package fairqueue is a controller work queue that takes turns between
// namespaces (Kumo's teams), so one team's burst of requests does not queue
// another team's request behind it.
package fairqueue
