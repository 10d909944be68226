package store

// 3: the province's facilities and their contact persons.
const schemaRegistry = `
-- to be filled in by issue 4
`
