"""How the world's records look on the wire: `v1` renders the public API's payloads,
`web` the web app's rows. The world keeps the data; these modules keep its shapes."""
