// The custom checked exception that escapes main.
public class ResourceException extends Exception {
    public ResourceException(String message) {
        super(message);
    }
}
