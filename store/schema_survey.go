package store

// 5: camera survey results.
const schemaSurvey = `
-- to be filled in by issue 4
`
