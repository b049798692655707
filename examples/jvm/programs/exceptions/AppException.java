// A checked exception with a cause and an extra field.
public class AppException extends Exception {
    private final int code;

    public AppException(String message, int code) {
        super(message);
        this.code = code;
    }

    public AppException(String message, int code, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public int code() {
        return code;
    }
}

class ValidationException extends RuntimeException {
    ValidationException(String message) {
        super(message);
    }
}

class FatalError extends Error {
    FatalError(String message) {
        super(message);
    }
}
