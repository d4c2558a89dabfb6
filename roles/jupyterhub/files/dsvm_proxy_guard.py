"""Jupyter Server extension of dsvm-image (role jupyterhub): refuse
jupyter-server-proxy's arbitrary-port routes in users' servers.

`/user/NAME/proxy/PORT/` (and `/proxy/absolute/PORT`, `/proxy/HOST:PORT`)
would serve whatever a user runs on a port as a page of the hub's own origin,
where another user who opens a link to it runs its scripts with their own
session (JupyterHub's security guidance: per-user subdomains, or no such
proxy). Named entries of jupyter-server-proxy (code-server's `/vscode/`, ...)
are separate routes and keep working. Server extensions load in name order,
so these routes, added first, take precedence over jupyter-server-proxy's.
Turned off by jupyterhub_arbitrary_port_proxy: true (the role then does not
enable this extension).
"""

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

MESSAGE = (
    "The arbitrary-port proxy is off on this machine: a page served from a port "
    "would run on the hub's origin. Use a named server-proxy entry, or ask an "
    "administrator (jupyterhub_arbitrary_port_proxy)."
)


class RefusedProxyHandler(JupyterHandler):
    def _refuse(self, *args, **kwargs):
        raise web.HTTPError(403, MESSAGE)

    get = post = put = delete = patch = head = options = _refuse


def _jupyter_server_extension_points():
    return [{"module": "dsvm_proxy_guard"}]


def _load_jupyter_server_extension(serverapp):
    base = serverapp.web_app.settings["base_url"]
    patterns = [r"/proxy/absolute/([^/]+)(/.*|)", r"/proxy/(\d+)(/.*|)", r"/proxy/([^/:@]+):(\d+)(/.*|)"]
    serverapp.web_app.add_handlers(".*", [(url_path_join(base, p), RefusedProxyHandler) for p in patterns])
    serverapp.log.info("dsvm_proxy_guard: the arbitrary-port proxy is refused")
