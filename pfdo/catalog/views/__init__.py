"""Pages of the catalogue: `public` (anyone); management by page family (`programs`,
`contents`, `certification`) on the shared ground of `cabinet`."""
