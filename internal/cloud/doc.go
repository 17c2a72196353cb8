// Package cloud defines the small interface Kumo needs from a cloud (create,
// delete, get and list servers by tag, placement and capacity), its typed
// errors, and the decorators that wrap any implementation.
package cloud
