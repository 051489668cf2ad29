"""Every example of the specification (Flask's Response page) in one app.

The code is the spec's, with only the import line changed from ``flask``.
Serve it with ``erlen run --app examples.spec_app:app``.
"""

from datetime import datetime, timedelta  # noqa: F401  (as the spec imports it)

from erlen import Flask, Response, jsonify, make_response

app = Flask(__name__)


@app.route("/")
def index():
    # String response (200 OK by default)
    return "Hello, World!"


@app.route("/created")
def created():
    # With status code
    return "Resource created", 201


@app.route("/custom-headers")
def custom_headers():
    # With status code and headers
    return "OK", 200, {"X-Custom": "value"}


@app.route("/cookie")
def set_cookie():
    response = make_response("Cookie set")
    response.set_cookie("username", "alice")
    return response


@app.route("/raw")
def raw_response():
    return Response(
        "Custom response", status=200, headers={"X-Custom": "value"}, mimetype="text/plain"
    )


@app.route("/api/user")
def get_user():
    # jsonify creates a Response with application/json mimetype
    return jsonify({"id": 123, "username": "alice", "email": "[email protected]"})


@app.route("/stream")
def stream():
    def generate():
        for i in range(10):
            yield f"Line {i}\n"

    return Response(generate(), mimetype="text/plain")


@app.route("/download")
def download():
    response = Response("File content here", mimetype="application/octet-stream")
    response.headers["Content-Disposition"] = "attachment; filename=file.txt"
    return response


@app.route("/login", methods=["POST"])
def login():
    # Authenticate user...
    response = make_response(jsonify({"status": "logged in"}))

    # Set secure session cookie
    response.set_cookie(
        "session_id",
        "secure-token-here",
        max_age=3600,
        httponly=True,
        secure=True,
        samesite="Lax",
    )

    return response


@app.route("/logout")
def logout():
    response = make_response("Logged out")
    response.delete_cookie("session_id")
    return response


@app.route("/api/data")
def api_data():
    response = jsonify({"users": ["alice", "bob"], "count": 2})

    # Add custom headers
    response.headers["X-Total-Count"] = "2"
    response.headers["Cache-Control"] = "no-cache"

    return response


@app.route("/redirect-temp")
def redirect_temp():
    response = Response("", status=302)
    response.headers["Location"] = "/new-location"
    return response


if __name__ == "__main__":
    app.run()
