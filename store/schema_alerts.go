package store

// 4: continuity alerts and their deliveries.
const schemaAlerts = `
-- to be filled in by issue 4
`
