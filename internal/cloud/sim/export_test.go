package sim

// WriteState saves the cloud's state to path, so that a benchmark can open a
// large persistent cloud without saving it once per server created.
func (c *Cloud) WriteState(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	statePath := c.opts.StatePath
	defer func() { c.opts.StatePath = statePath }()
	c.opts.StatePath = path
	return c.save()
}
