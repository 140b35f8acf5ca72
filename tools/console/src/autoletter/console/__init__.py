"""AutoLetter web console: a thin, server-rendered face over the services' HTTP APIs."""
