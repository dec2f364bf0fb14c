"""OpenAPI description of the bearer token authentication (`Authorization: Bearer pfdo_…`)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "pfdo.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Токен из POST /api/v1/auth/token/: Authorization: Bearer <token>",
        }
