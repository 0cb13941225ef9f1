"""Pure booking rules: graphs, windows and seats. Imports no infrastructure; `now` is passed in."""
